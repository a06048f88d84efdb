import { randomBytes } from 'crypto';
import { jsonPacker, type Packer } from '../../src';
import { AjaxHeader, BINARY_BODY_TYPE, decodeBody, encodeBody, TEXT_BODY_TYPE } from '../../src/protocol/ajax';

/** Raw Ajax requests for tests that speak the protocol by hand (PROTOCOL.md, "Ajax long-poll transport"). */

export function randomCid(): string {
  return randomBytes(8).toString('hex');
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  /** The body's messages, unpacked (200), or the JSON refusal (4xx/5xx), or undefined (204). */
  messages: unknown[];
  json?: { code: string; message: string };
  /** The raw text of a non-200 body. */
  text?: string;
}

async function read(r: Response, packer: Packer): Promise<RawAnswer> {
  if (r.status === 200) {
    const body = packer.binary ? new Uint8Array(await r.arrayBuffer()) : await r.text();
    return { status: r.status, headers: r.headers, messages: decodeBody(body, packer.binary).map((f) => packer.unpack(f)) };
  }
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, messages: [], json, text };
}

export interface RawConn {
  cid: string;
  token: string;
  /** Frames received so far (the next poll's ack). */
  ack: number;
  handshake: { uid: string | null; tk: string };
  /** Every message of the handshake answer: the `hs` first, then anything written to the connection meanwhile. */
  messages: unknown[];
}

/** Does the handshake GET and returns the connection's token. */
export async function rawHandshake(url: string, o: { cid?: string; uid?: string; packer?: Packer; headers?: Record<string, string> } = {}): Promise<RawConn> {
  const packer = o.packer ?? jsonPacker;
  const cid = o.cid ?? randomCid();
  const q = new URLSearchParams({ v: '1', hs: '1', cid, ...(o.uid ? { uid: o.uid } : {}) });
  const a = await read(await fetch(`${url}?${q}`, { headers: o.headers }), packer);
  if (a.status !== 200) throw new Error(`handshake answered ${a.status} ${JSON.stringify(a.json)}`);
  const hs = a.messages[0] as { uid: string | null; tk: string };
  return { cid, token: hs.tk, ack: Number(a.headers.get(AjaxHeader.Seq)), handshake: hs, messages: a.messages };
}

/** The request URL: `cid` first, then any extra query parameters. */
function target(url: string, cid: string, query: Record<string, string> = {}): string {
  return `${url}?${new URLSearchParams({ cid, ...query })}`;
}

/** One poll. Updates `conn.ack` from a 200 answer. `headers` and `query` are added to the request as they are. */
export async function rawPoll(
  url: string,
  conn: RawConn,
  o: {
    packer?: Packer;
    token?: string | null;
    cid?: string;
    ack?: number;
    signal?: AbortSignal;
    headers?: Record<string, string>;
    query?: Record<string, string>;
  } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = { [AjaxHeader.Ack]: String(o.ack ?? conn.ack) };
  const token = o.token === undefined ? conn.token : o.token;
  if (token !== null) headers[AjaxHeader.Token] = token;
  Object.assign(headers, o.headers);
  const r = await fetch(target(url, o.cid ?? conn.cid, o.query), { headers, signal: o.signal });
  const a = await read(r, o.packer ?? jsonPacker);
  if (a.status === 200) conn.ack = Number(a.headers.get(AjaxHeader.Seq));
  return a;
}

/**
 * One POST of `messages`, packed and framed (or a raw `body` with its own content type). A stream body is
 * sent without a `content-length` (chunked).
 */
export async function rawPost(
  url: string,
  conn: RawConn,
  messages: unknown[],
  o: {
    packer?: Packer;
    token?: string | null;
    cid?: string;
    contentType?: string;
    body?: string | Uint8Array | ReadableStream<Uint8Array>;
    headers?: Record<string, string>;
    query?: Record<string, string>;
  } = {},
): Promise<RawAnswer> {
  const packer = o.packer ?? jsonPacker;
  const headers: Record<string, string> = { 'content-type': o.contentType ?? (packer.binary ? BINARY_BODY_TYPE : TEXT_BODY_TYPE) };
  const token = o.token === undefined ? conn.token : o.token;
  if (token !== null) headers[AjaxHeader.Token] = token;
  Object.assign(headers, o.headers);
  const body = o.body ?? encodeBody(messages.map((m) => packer.pack(m)), packer.binary);
  const init = { method: 'POST', headers, body: body as BodyInit, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) };
  const r = await fetch(target(url, o.cid ?? conn.cid, o.query), init as RequestInit);
  return read(r, packer);
}
