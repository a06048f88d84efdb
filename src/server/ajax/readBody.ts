import type { IncomingMessage } from 'http';
import { timer, type SchedulerLike } from 'rxjs';

/** How a body read ended without a body: larger than the limit, or not complete by the deadline. */
export type BodyRefusal = 'too-large' | 'timeout';

/**
 * Reads a request body of at most `limit` bytes within `timeoutMs` (a scheduler timer), copying each chunk
 * into one buffer as it arrives. Keeping the chunks instead made a body trickled one byte per TCP segment
 * cost about 120x its size (each 1-byte chunk pins its own allocation) for as long as the client liked. The
 * buffer is sized from `content-length` when the request declares one (never above `limit`), else it doubles.
 * Rejects when the request errors or is aborted.
 */
export function readBody(
  req: IncomingMessage & { body?: unknown },
  limit: number,
  timeoutMs: number,
  scheduler: SchedulerLike,
): Promise<Buffer | BodyRefusal> {
  // An app-level body parser (express.raw / express.text) may have read it already.
  if (Buffer.isBuffer(req.body)) return Promise.resolve(req.body.byteLength > limit ? 'too-large' : req.body);
  if (typeof req.body === 'string') {
    const b = Buffer.from(req.body, 'utf8');
    return Promise.resolve(b.byteLength > limit ? 'too-large' : b);
  }
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let buf = Buffer.allocUnsafe(Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, limit) : Math.min(16 * 1024, limit));
    let size = 0;
    const onData = (c: Buffer): void => {
      if (size + c.byteLength > limit) return done(() => resolve('too-large'));
      if (size + c.byteLength > buf.byteLength) {
        const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(buf.byteLength * 2, size + c.byteLength)));
        buf.copy(grown, 0, 0, size);
        buf = grown;
      }
      c.copy(buf, size);
      size += c.byteLength;
    };
    const onEnd = (): void => done(() => resolve(buf.subarray(0, size)));
    const onError = (e: Error): void => done(() => reject(e));
    const onAborted = (): void => done(() => reject(new Error('request aborted')));
    const deadline = timer(timeoutMs, scheduler).subscribe(() => done(() => resolve('timeout')));
    function done(settle: () => void): void {
      deadline.unsubscribe();
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      settle();
    }
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}
