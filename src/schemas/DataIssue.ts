/**
 * One validation issue in the bounded, safe form sente-rx reports and sends: a plain object with a short message
 * and a short path of string or number keys. Built from scratch (never the validator's own objects), so nothing
 * a client sent (a `__proto__` key, a huge message, a getter) reaches the wire, `errors$` or a merge.
 */
export interface DataIssue {
  readonly message: string;
  /** Where in the data: object keys and array indexes, outermost first; empty for the value itself. */
  readonly path: readonly (string | number)[];
}

/** Most issues kept per refusal. */
export const MAX_ISSUES = 10;
/** Longest issue message kept, in characters. */
export const MAX_ISSUE_MESSAGE = 200;
/** Most path segments kept per issue. */
export const MAX_ISSUE_PATH = 16;
/** Longest path key kept, in characters. */
const MAX_KEY = 64;

const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function key(segment: unknown): string | number {
  const k = typeof segment === 'object' && segment !== null ? (segment as { key?: unknown }).key : segment;
  if (typeof k === 'number' && Number.isFinite(k)) return k;
  if (typeof k === 'string') return clip(k, MAX_KEY);
  if (typeof k === 'symbol') return clip(k.description ?? 'symbol', MAX_KEY);
  return '?';
}

/**
 * Copies at most {@link MAX_ISSUES} issues, each message clipped to {@link MAX_ISSUE_MESSAGE} characters and path
 * to {@link MAX_ISSUE_PATH} keys. Accepts anything (a validator's issues, or an `issues` field off the wire) and
 * never throws: what is not an issue is skipped, a getter that throws counts as no issue.
 */
export function safeIssues(raw: unknown): DataIssue[] {
  const out: DataIssue[] = [];
  if (!Array.isArray(raw)) return out;
  const n = Math.min(raw.length, MAX_ISSUES);
  for (let i = 0; i < n; i++) {
    try {
      const issue: unknown = raw[i];
      if (typeof issue !== 'object' || issue === null) continue;
      const message = (issue as { message?: unknown }).message;
      const path = (issue as { path?: unknown }).path;
      out.push({
        message: typeof message === 'string' ? clip(message, MAX_ISSUE_MESSAGE) : 'invalid',
        path: Array.isArray(path) ? path.slice(0, MAX_ISSUE_PATH).map(key) : [],
      });
    } catch {
      // a hostile or broken issue object: skipped
    }
  }
  return out;
}

/** One line for logs and error messages: `text: Expected string; items.3: Too long`. */
export function describeIssues(issues: readonly DataIssue[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
