import * as v from 'valibot';
import { z } from 'zod';
import { MAX_ISSUE_MESSAGE, MAX_ISSUE_PATH, MAX_ISSUES, safeIssues, validateEventData, type StandardSchemaV1 } from '../../src';
import { checkInOrder, type CheckQueueHolder } from '../../src/schemas/OrderedChecks';

const hand = (validate: (x: unknown) => unknown): StandardSchemaV1 => ({ '~standard': { version: 1, vendor: 'hand', validate: validate as never } });

describe('validateEventData', () => {
  test.each([
    ['zod', z.object({ n: z.number().transform((n) => n * 2) })],
    ['valibot', v.object({ n: v.pipe(v.number(), v.transform((n) => n * 2)) })],
  ])('%s: synchronous, returns the output (transformed) value, not a Promise', (_, schema) => {
    const r = validateEventData(schema, { n: 2 });
    expect(r).not.toBeInstanceOf(Promise);
    expect(r).toEqual({ ok: true, value: { n: 4 } });
  });

  test.each([
    ['zod', z.object({ a: z.object({ b: z.string() }) })],
    ['valibot', v.object({ a: v.object({ b: v.string() }) })],
  ])('%s: issues with a path of plain keys', (_, schema) => {
    const r = validateEventData(schema, { a: { b: 1 } });
    expect(r).toMatchObject({ ok: false, issues: [{ path: ['a', 'b'] }] });
    const [issue] = (r as { issues: { message: unknown }[] }).issues;
    expect(typeof issue!.message).toBe('string');
  });

  test('an async validator gives a Promise of the same outcome', async () => {
    const schema = hand(async (x) => (x === 1 ? { value: 'one' } : { issues: [{ message: 'not one' }] }));
    const ok = validateEventData(schema, 1);
    expect(ok).toBeInstanceOf(Promise);
    await expect(ok).resolves.toEqual({ ok: true, value: 'one' });
    await expect(validateEventData(schema, 2)).resolves.toEqual({ ok: false, issues: [{ message: 'not one', path: [] }] });
  });

  test('a validator that throws or rejects is a failure carrying the error, never a throw', async () => {
    const boom = new Error('boom');
    expect(validateEventData(hand(() => { throw boom; }), 1)).toMatchObject({ ok: false, error: boom });
    await expect(validateEventData(hand(() => Promise.reject(boom)), 1)).resolves.toMatchObject({ ok: false, error: boom });
    expect(validateEventData(hand(() => null), 1)).toMatchObject({ ok: false });
    expect(validateEventData(hand(() => ({ issues: [] })), 1)).toMatchObject({ ok: false, issues: [{ message: 'invalid' }] });
  });

  test('issues are bounded: count, message length, path length and key length', () => {
    const longKey = 'k'.repeat(10_000);
    const many = Array.from({ length: 100 }, (_, i) => ({ message: 'x'.repeat(100_000), path: Array.from({ length: 100 }, () => longKey).concat([String(i)]) }));
    const r = validateEventData(hand(() => ({ issues: many })), 1) as { ok: false; issues: { message: string; path: string[] }[] };
    expect(r.issues).toHaveLength(MAX_ISSUES);
    for (const i of r.issues) {
      expect(i.message.length).toBeLessThanOrEqual(MAX_ISSUE_MESSAGE);
      expect(i.path.length).toBeLessThanOrEqual(MAX_ISSUE_PATH);
      for (const k of i.path) expect(k.length).toBeLessThanOrEqual(64);
    }
  });

  test('issues are rebuilt as plain objects: no prototype keys, getters that throw or foreign fields survive', () => {
    const evil = JSON.parse('{"message":"m","path":["__proto__",{"key":"constructor"},{"key":{"x":1}}],"__proto__":{"polluted":1},"input":{"secret":1}}');
    const throwing = Object.defineProperty({}, 'message', { get: () => { throw new Error('getter'); } });
    const out = safeIssues([evil, throwing, 42, null, { message: 7, path: [Symbol('s'), 3, NaN] }]);
    expect(out).toEqual([
      { message: 'm', path: ['__proto__', 'constructor', '?'] },
      { message: 'invalid', path: ['s', 3, '?'] },
    ]);
    for (const i of out) expect(Object.keys(i).sort()).toEqual(['message', 'path']);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(safeIssues('nope')).toEqual([]);
  });
});

describe('checkInOrder', () => {
  test('sync checks deliver at once, with no queue', () => {
    const h: CheckQueueHolder<number> = { checkQueue: undefined };
    const out: number[] = [];
    for (const i of [1, 2, 3]) checkInOrder(h, i, (x) => x * 10, (_, __, r) => out.push(r));
    expect(out).toEqual([10, 20, 30]);
    expect(h.checkQueue).toBeUndefined();
  });

  test('an async check holds later items (sync or async) until it settles; order is kept', async () => {
    const h: CheckQueueHolder<number> = { checkQueue: undefined };
    const out: number[] = [];
    const resolvers = new Map<number, () => void>();
    const check = (x: number): number | Promise<number> =>
      x % 2 === 0 ? x : new Promise((res) => resolvers.set(x, () => res(x)));
    for (const i of [1, 2, 3, 4, 5, 6]) checkInOrder(h, i, check, (_, __, r) => out.push(r));
    expect(out).toEqual([]);
    resolvers.get(1)!();
    await new Promise((r) => setImmediate(r));
    expect(out).toEqual([1, 2]); // 3 is async: 4.. wait behind it
    resolvers.get(5)?.(); // not started yet: nothing happens
    resolvers.get(3)!();
    await new Promise((r) => setImmediate(r));
    expect(out).toEqual([1, 2, 3, 4]);
    resolvers.get(5)!();
    await new Promise((r) => setImmediate(r));
    expect(out).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.checkQueue).toBeUndefined();
    checkInOrder(h, 8 as number, check, (_, __, r) => out.push(r));
    expect(out.at(-1)).toBe(8); // back on the sync path
  });
});
