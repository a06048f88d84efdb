/**
 * Property tests over the decoders and the message handlers: whatever comes in, they return or throw a
 * ProtocolError with a stable code (never another error), never pollute a prototype, and the server core
 * only ever answers with valid server messages and documented close codes.
 */
import fc from 'fast-check';
import { VirtualTimeScheduler } from 'rxjs';
import { createContext, Script } from 'vm';
import { ProtocolError } from '../../src/errors/ProtocolError';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { msgpackPacker } from '../../src/packers/msgpack';
import type { Frame, Packer } from '../../src/packers/Packer';
import { checkTree } from '../../src/protocol/checkTree';
import { CloseCode, ErrorCode } from '../../src/protocol/codes';
import { validateClientBatchable, validateClientMessage, validateServerMessage } from '../../src/protocol/validateMessage';
import { openFake } from '../support/fakeLink';
import { seeded } from '../support/propertySeed';
import { ERROR_CODES, prototypeSnapshot } from './support';

/** Seeded (FC_SEED, printed on failure with the path to the counterexample), so every run is the same run. */
const RUNS = seeded({ numRuns: 300 });

/**
 * The pollution gadget (a naive recursive merge) run in a fresh V8 context per value: the merge targets the
 * sandbox's `{}`, so whatever it pollutes is the sandbox's built-ins, never this process's. Before, the merge ran
 * here: a generated `{"toString": {...}}` that got through wrote onto the shared Object.prototype.toString and
 * broke later, unrelated runs (about 1 run in 10 with unseeded runs). Returns true when the merge changed the
 * sandbox's built-ins: their property names, the own properties of their functions, or `({}).polluted`.
 */
const SANDBOX = new Script(`(value) => {
  const merge = (target, source) => {
    if (typeof source !== 'object' || source === null) return source;
    for (const key in source) {
      const v = source[key];
      if (typeof v === 'object' && v !== null) target[key] = merge(target[key] ?? {}, v);
      else target[key] = v;
    }
    return target;
  };
  const holders = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype, Object, Array, Function, String, Number];
  const snapshot = () =>
    holders.map((p) => Object.getOwnPropertyNames(p).sort().map((k) => {
      const v = Object.getOwnPropertyDescriptor(p, k).value;
      return k + ':' + typeof v + ':' + (typeof v === 'function' ? v.name + ':' + Object.getOwnPropertyNames(v).sort().join('|') : '');
    }).join(',')).join(';') + ':' + String(({}).polluted);
  const before = snapshot();
  try { merge({}, value); } catch (e) { /* a merge that throws pollutes nothing more */ }
  return snapshot() !== before;
}`);

function mergePollutes(value: unknown): boolean {
  return (SANDBOX.runInContext(createContext()) as (v: unknown) => boolean)(value);
}
const CLOSE_CODES: ReadonlySet<number> = new Set(Object.values(CloseCode));
const PACKERS: readonly Packer[] = [jsonPacker, msgpackPacker];

/** Runs `f`; passes if it returns, or throws a ProtocolError with a stable code. */
function returnsOrProtocolError(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw new Error(`threw ${(e as Error)?.constructor?.name}: ${String((e as Error)?.message ?? e)}`);
    expect(ERROR_CODES.has(e.code)).toBe(true);
    return undefined;
  }
}

/** True when some object in `v` has an own `__proto__` key (what a naive merge turns into pollution). */
function hasOwnProtoKey(v: unknown): boolean {
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null || ArrayBuffer.isView(x)) continue;
    if (Object.prototype.hasOwnProperty.call(x, '__proto__')) return true;
    for (const k of Object.keys(x)) stack.push((x as Record<string, unknown>)[k]);
  }
  return false;
}

/** Keys that matter to the protocol or to prototypes, mixed with arbitrary ones. */
const key = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 't', 'rid', 'ev', 'ms', 'mid', 'code', 'msg', 'uid', 'cid', 'v', 'd'),
  fc.string({ maxLength: 8 }),
);

/** Anything JavaScript can hold, including null-prototype objects, boxed values, BigInts and hostile keys. */
const anything = fc.anything({
  key,
  maxDepth: 4,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withObjectString: true,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
});

/** JSON-representable values with hostile keys. */
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, 'chsk/x', '', 'e', 'q', 'b', 'pi'),
    fc.integer(),
    fc.string({ maxLength: 12 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Values that break naive code: objects whose toString/valueOf are not functions, deep nesting. */
const booby = fc.oneof(
  fc.constantFrom<unknown>({ toString: 1 }, { toString: 'x', valueOf: null }, { toJSON: 1 }),
  fc.constant(null).map(() => Object.create(null) as unknown),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => {
    let v: unknown = [];
    for (let i = 0; i < n; i++) v = [v];
    return v;
  }),
);

/** A field value: usually plausible, sometimes anything, sometimes a booby trap. */
const field = fc.oneof({ weight: 3, arbitrary: jsonish }, { weight: 1, arbitrary: anything }, { weight: 1, arbitrary: booby });

/** Message-shaped values: right type tags, fields that are sometimes right and often not. */
const messageLike = fc.record(
  {
    t: fc.oneof(fc.constantFrom('e', 'q', 'b', 'pi', 'po', 'r', 'x', 'hs'), field),
    rid: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constantFrom(0.5, 2 ** 53, Number.MAX_SAFE_INTEGER), field),
    ev: fc.oneof(fc.tuple(fc.constantFrom('test/echo', 'test/never', 'chsk/hs', '', 'a/b'), field), fc.tuple(field), field),
    ms: fc.array(jsonish, { maxLength: 4 }),
    mid: fc.oneof(fc.string({ maxLength: 4 }), field),
    code: field,
    msg: field,
  },
  { requiredKeys: ['t'] },
);

/** A batch whose members are message-shaped. */
const batchLike = fc.record({ t: fc.constant('b'), ms: fc.array(messageLike, { maxLength: 5 }) });

/** Frames for a packer: packed message-shaped values (sometimes mutated), raw bytes, raw text. */
function frames(p: Packer): fc.Arbitrary<Frame> {
  const packed = fc.oneof(messageLike, batchLike, jsonish).map((m) => {
    try {
      return p.pack(m);
    } catch {
      return p.binary ? new Uint8Array([0xc1]) : '{';
    }
  });
  const mutated = fc.tuple(packed, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([f, at, byte]) => {
    const b = typeof f === 'string' ? Buffer.from(f, 'utf8') : Buffer.from(f);
    if (b.length > 0) b[at % b.length] = byte;
    return typeof f === 'string' ? b.toString('latin1') : new Uint8Array(b);
  });
  return fc.oneof(packed, packed, mutated, fc.uint8Array({ maxLength: 64 }), fc.string({ unit: 'binary', maxLength: 64 }));
}

let snapshot: string[];
beforeEach(() => {
  snapshot = prototypeSnapshot();
});
afterEach(() => {
  expect(prototypeSnapshot()).toEqual(snapshot);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('decoders', () => {
  it('jsonPacker.unpack: any text or bytes → a value without own __proto__ keys, or a ProtocolError', () => {
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      jsonish.map((v) => JSON.stringify(v)),
      jsonish.map((v) => JSON.stringify(v).replace(/_/g, '\\u005f')),
    );
    fc.assert(
      fc.property(input, (f) => {
        const v = returnsOrProtocolError(() => jsonPacker.unpack(f));
        expect(hasOwnProtoKey(v)).toBe(false);
        expect(mergePollutes(v)).toBe(false);
      }),
      RUNS,
    );
  });

  it('msgpackPacker.unpack: any bytes (random, or valid encodings with a byte changed) → a value or a ProtocolError', () => {
    const encoded = anything.chain((v) => {
      let bytes: Uint8Array;
      try {
        bytes = msgpackPacker.pack(v) as Uint8Array;
      } catch {
        bytes = new Uint8Array([0xc1]);
      }
      return fc.tuple(fc.constant(bytes), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, byte]) => {
        const c = Uint8Array.from(b);
        if (c.length > 0 && at % 3 === 0) c[at % c.length] = byte;
        return c;
      });
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), encoded, fc.string({ maxLength: 20 })), (f) => {
        const v = returnsOrProtocolError(() => msgpackPacker.unpack(f));
        expect(hasOwnProtoKey(v)).toBe(false);
        expect(mergePollutes(v)).toBe(false);
      }),
      RUNS,
    );
  });

  it('checkTree: anything → returns or a ProtocolError', () => {
    fc.assert(
      fc.property(anything, fc.integer({ min: 1, max: 6 }), (v, depth) => {
        returnsOrProtocolError(() => checkTree(v, depth));
      }),
      RUNS,
    );
  });
});

describe('validators', () => {
  it('validateClientMessage / validateClientBatchable: anything → a message or a ProtocolError', () => {
    fc.assert(
      fc.property(fc.oneof(anything, messageLike, batchLike, jsonish), fc.integer({ min: 1, max: 3 }), (v, maxBatch) => {
        returnsOrProtocolError(() => validateClientMessage(v, maxBatch));
        returnsOrProtocolError(() => validateClientBatchable(v));
      }),
      RUNS,
    );
  });

  it('validateServerMessage: anything → a message or a ProtocolError', () => {
    fc.assert(
      fc.property(fc.oneof(anything, messageLike, batchLike, jsonish), (v) => {
        returnsOrProtocolError(() => validateServerMessage(v));
      }),
      RUNS,
    );
  });

  it('a message the client validator accepts never carries a reserved id or an unsafe rid', () => {
    fc.assert(
      fc.property(messageLike, (v) => {
        let m;
        try {
          m = validateClientMessage(v, 10);
        } catch {
          return;
        }
        if (m.t === 'e' || m.t === 'q') {
          expect(typeof m.ev[0]).toBe('string');
          expect(m.ev[0].startsWith('chsk/')).toBe(false);
        }
        if (m.t === 'q') expect(Number.isSafeInteger(m.rid) && m.rid >= 1).toBe(true);
      }),
      RUNS,
    );
  });
});

describe.each(PACKERS.map((p) => ({ packer: p, name: p.name })))('ServerCore message handling ($name)', ({ packer }) => {
  it('any sequence of frames → no throw, only valid server messages back, only documented close codes', () => {
    const limits = fc.record({
      maxProtocolErrors: fc.integer({ min: 1, max: 20 }),
      maxPendingRequests: fc.integer({ min: 1, max: 4 }),
      maxBatchSize: fc.integer({ min: 1, max: 4 }),
      maxDepth: fc.integer({ min: 2, max: 8 }),
      rateLimit: fc.oneof(fc.constant(false as const), fc.record({ perSecond: fc.constant(1000), burst: fc.integer({ min: 1, max: 10 }), closeAfter: fc.integer({ min: 1, max: 10 }) })),
    });
    fc.assert(
      fc.property(limits, fc.array(fc.tuple(frames(packer), fc.integer({ min: 0, max: 20 })), { maxLength: 25 }), (lim, seq) => {
        const scheduler = new VirtualTimeScheduler();
        const { core, link, handle } = openFake({ packer, scheduler, ...lim });
        const polluting: unknown[] = [];
        core.events.subscribe((m) => {
          if (mergePollutes(m.data)) polluting.push(m.data);
          if (m.id !== 'test/never') m.reply?.(m.data as never);
        });
        for (const [frame, gap] of seq) {
          scheduler.schedule(() => undefined, gap);
          scheduler.flush();
          expect(() => handle.receive(frame)).not.toThrow();
        }
        scheduler.schedule(() => undefined, 60_000); // request timeouts fire: CHSK_NO_REPLY answers
        scheduler.flush();
        for (const f of link.frames) {
          const m = validateServerMessage(packer.unpack(f));
          if (m.t === 'x') expect(ERROR_CODES.has(m.code)).toBe(true);
        }
        if (link.closedWith) expect(CLOSE_CODES.has(link.closedWith.code)).toBe(true);
        core.shutdown(CloseCode.GoingAway, 'done');
        expect(polluting).toEqual([]);
      }),
      seeded({ numRuns: 200 }),
    );
  });
});

test('the error codes on the wire are the documented ones', () => {
  expect(ERROR_CODES).toEqual(new Set(Object.values(ErrorCode)));
});
