import { safeIssues, type DataIssue } from './DataIssue';
import type { StandardResult, StandardSchemaV1 } from './StandardSchemaV1';

/** The outcome of one check: the validated (possibly transformed) value, or the issues found. */
export type DataCheck =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issues: DataIssue[]; /** The validator threw or rejected. */ readonly error?: unknown };

const threw = (error: unknown): DataCheck => ({ ok: false, issues: [{ message: 'the validator failed', path: [] }], error });

function settle(r: StandardResult<unknown>): DataCheck {
  if (typeof r !== 'object' || r === null) return threw(new TypeError('the validator returned no result'));
  if (r.issues !== undefined) {
    const issues = safeIssues(r.issues);
    return { ok: false, issues: issues.length ? issues : [{ message: 'invalid', path: [] }] };
  }
  return { ok: true, value: (r as { value: unknown }).value };
}

/**
 * Runs a Standard Schema validator on `value`. Synchronous validators answer synchronously (no Promise, no
 * microtask: the common case stays fast); a validator that returns a Promise gets a Promise back. Never throws
 * and never rejects: a validator that does counts as a failure with `error` set. Issues are bounded and safe
 * ({@link safeIssues}).
 */
export function validateEventData(schema: StandardSchemaV1, value: unknown): DataCheck | Promise<DataCheck> {
  try {
    const r = schema['~standard'].validate(value);
    if (isThenable(r)) return Promise.resolve(r as PromiseLike<StandardResult<unknown>>).then(settle, threw);
    return settle(r);
  } catch (error) {
    return threw(error);
  }
}

/** True for a Promise (or any thenable, e.g. from another realm): what an async validator returns. */
export function isThenable<T>(x: T | PromiseLike<unknown>): x is PromiseLike<unknown> & T {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}
