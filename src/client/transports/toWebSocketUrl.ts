/**
 * Resolves the endpoint URL for a WebSocket: relative paths against the page, `http:` → `ws:`,
 * `https:` → `wss:`, plus the query parameters.
 */
export function toWebSocketUrl(url: string, query: Readonly<Record<string, string>>): string {
  const base = typeof location !== 'undefined' ? location.href : undefined;
  const u = new URL(url, base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

/** base64url of the UTF-8 bytes of `s` (works in browsers and Node without Buffer). */
export function base64Url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Resolves the endpoint URL for Ajax requests (relative paths against the page), plus the query parameters. */
export function toHttpUrl(url: string, query: Readonly<Record<string, string>>): string {
  const base = typeof location !== 'undefined' ? location.href : undefined;
  const u = new URL(url, base);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  else if (u.protocol === 'wss:') u.protocol = 'https:';
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}
