/**
 * The hostile-input corpus: named attacks as data, each with the outcome SECURITY.md documents. The runner
 * (hostile.spec.ts) applies every case to every transport it fits and to both packers, and checks besides
 * the outcome that the process survived, no prototype was polluted and a well-behaved client on the same
 * server was served during and after the attack.
 *
 * Kinds:
 * - `frames`: messages (or raw bytes) sent on an open connection; runs on every transport (a WebSocket frame
 *   each, or over Ajax one POST each, framed as the packer's bodies are), unless `notOn` says why not.
 * - `ws-frames`: raw WebSocket frames written on an upgraded TCP socket (framing-level attacks); ws only.
 * - `upgrade`: a raw HTTP upgrade request over TCP, and what follows it; ws only.
 * - `ajax`: one raw HTTP request to the Ajax endpoint (PROTOCOL.md, "Ajax long-poll transport"); ajax only.
 */
import type { Frame, Packer } from '../../src/packers/Packer';
import { CloseCode, ErrorCode } from '../../src/protocol/codes';
import type { ClientOptions } from '../../src/client';
import type { ServerOptions } from '../../src/server';
import { closeFrame, httpRequest, messageFrame, Op, upgradeHeaders, wsFrame, type HeaderList } from './support';

export type TransportName = 'ws' | 'ajax';
export const ALL_TRANSPORTS: readonly TransportName[] = ['ws', 'ajax'];

/** One message the server sends back: an error (`x`, with its rid or none), a reply (`r`, with its data when given) or a pong. */
export type Answer =
  | { readonly x: string; readonly rid?: number; readonly mid?: number }
  | { readonly r: number; readonly d?: unknown }
  | { readonly a: number }
  | { readonly po: true };

/** What the attacking connection gets: exactly these answers, in order, then (optionally) a close. */
export interface ConnOutcome {
  readonly answers: readonly Answer[];
  readonly close?: number;
  /**
   * Ajax: the refusals the POSTs carrying the frames get, in order (a refused body reaches nothing, so it
   * has no answer on the poll). Default: none, every POST is accepted (204). Never any on WebSocket.
   */
  readonly refused?: readonly HttpOutcome[];
}

/** What a raw upgrade gets: an HTTP status (and the `code` of its JSON body), or a 101 and then a close or service. */
export interface UpgradeOutcome {
  readonly status: number;
  readonly code?: string;
  /** After a 101: the server closes with this code. */
  readonly close?: number;
  /** After a 101: the connection is served (a request is answered; `uid` is what the server says the uid is). */
  readonly served?: { readonly uid: string | null };
}

/** What a raw Ajax request gets. */
export interface HttpOutcome {
  readonly status: number;
  readonly code?: string;
}

/** The column a case runs in. */
export interface Ctx {
  readonly transport: TransportName;
  readonly packer: Packer;
}

type Expect<T> = T | ((ctx: Ctx) => T);

interface Base {
  /** Unique, kebab-case. */
  readonly name: string;
  /** Where the case comes from: a CVE, an advisory, a finding. */
  readonly ref?: string;
  /** Server options for this case, over the corpus defaults. */
  readonly server?: ServerOptions;
  /** Options of the well-behaved bystander client (e.g. the CSRF token it knows). */
  readonly client?: ClientOptions;
}

/** Why a `frames` case does not apply to a transport, and the case that covers the attack there instead. */
export interface NotApplicable {
  readonly reason: string;
  /** The name of the case that covers the same attack on that transport. */
  readonly see: string;
}

export interface FramesCase extends Base {
  readonly kind: 'frames';
  /** The transports this case does not apply to by nature (default: it applies to all). */
  readonly notOn?: { readonly [T in TransportName]?: NotApplicable };
  readonly frames: (p: Packer) => Frame[];
  /**
   * How the runner knows the server is done: `ping` (default) sends a ping after the frames and waits for its
   * pong; `count` waits for as many answers as expected (for cases where the ping itself would be refused).
   * A case expecting a close waits for the close.
   */
  readonly sync?: 'ping' | 'count';
  readonly expect: Expect<ConnOutcome>;
}

export interface WsFramesCase extends Base {
  readonly kind: 'ws-frames';
  /** Raw bytes written on the upgraded socket, in order (each element one write). */
  readonly bytes: (p: Packer) => Buffer[];
  readonly expect: Expect<ConnOutcome>;
}

export interface UpgradeCase extends Base {
  readonly kind: 'upgrade';
  /** The bytes of the request (and anything sent with it), for the server at `host` ("127.0.0.1:port"). */
  readonly request: (host: string) => string | Buffer;
  /** Write every byte separately (and the request frame after a 101 too). */
  readonly bytewise?: boolean;
  readonly expect: Expect<UpgradeOutcome>;
}

/**
 * A raw Ajax request, described for the Ajax adapter. Unless it is the handshake, it speaks for the
 * connection of a fresh handshake (uid `attacker`): its `cid`, a poll's `x-chsk-ack`, the packer's
 * `content-type`, and the token below.
 */
export interface AjaxRequest {
  readonly method: 'GET' | 'POST';
  /**
   * The `x-chsk-token` the request carries: `valid` (the fresh connection's), `forged` (its selector with a
   * random secret of the same length), `foreign` (the fresh connection's own valid token, presented with the
   * `cid` of another live client), `missing`, or `query-only` (none in the header, the valid one in the
   * query string under the names a careless server might read). A GET with a valid token is a poll and is
   * held until something arrives: no case should need one.
   */
  readonly token: 'valid' | 'forged' | 'foreign' | 'missing' | 'query-only';
  /** The handshake GET itself (`?v=1&hs=1&cid=<random>&uid=attacker`, no connection token yet) rather than a poll or a send. */
  readonly handshake?: boolean;
  /** Query parameters added to (or, for the same name, replacing) the ones above, in order. */
  readonly query?: readonly (readonly [string, string])[];
  /** Extra headers; a `content-type` here replaces the packer's. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The body of a POST: `frames`, framed as the packer's bodies are (newline-separated text, or each behind a
   * 4-byte big-endian length); `raw` bytes, sent as they are; or `filler` bytes (`a`), as many as given,
   * `streamed` without a `content-length` (chunked) if so, so that the server must count what it reads.
   */
  readonly body?:
    | { readonly frames: (p: Packer) => Frame[] }
    | { readonly raw: Uint8Array }
    | { readonly filler: number; readonly streamed?: boolean };
}

export interface AjaxCase extends Base {
  readonly kind: 'ajax';
  readonly request: AjaxRequest;
  readonly expect: Expect<HttpOutcome>;
}

export type HostileCase = FramesCase | WsFramesCase | UpgradeCase | AjaxCase;

/** Corpus defaults: a small frame limit keeps the oversized cases cheap. */
export const CORPUS_SERVER_OPTIONS: ServerOptions = { maxFrameBytes: 64 * 1024 };
const MAX_FRAME = 64 * 1024;

// ---------------------------------------------------------------------------------------------------------
// Builders

/** Frames carrying these messages, packed by the column's packer. */
const msgs =
  (...ms: unknown[]) =>
  (p: Packer): Frame[] =>
    ms.map((m) => p.pack(m));

/** One raw frame per packer: JSON text, or msgpack bytes. */
const raw =
  (json: string, msgpack: readonly number[] | Uint8Array) =>
  (p: Packer): Frame[] =>
    [p.binary ? Uint8Array.from(msgpack) : json];

/** An object with an own, enumerable key (`{ __proto__: x }` in a literal would set the prototype instead). */
function own(key: string, value: unknown, rest: Record<string, unknown> = {}): Record<string, unknown> {
  const o: Record<string, unknown> = { ...rest };
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}

/** msgpack string header + UTF-8 bytes. */
function mpStr(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return b.length < 32 ? [0xa0 | b.length, ...b] : [0xd9, b.length, ...b];
}

const q = (rid: unknown, ev: unknown[], extra: Record<string, unknown> = {}) => ({ t: 'q', rid, ev, ...extra });
const ev = (e: unknown[], extra: Record<string, unknown> = {}) => ({ t: 'e', ev: e, ...extra });
const x = (code: string, rid?: number): Answer => (rid === undefined ? { x: code } : { x: code, rid });
const r = (rid: number, d?: unknown): Answer => (d === undefined ? { r: rid } : { r: rid, d });
const times = <T>(n: number, a: T): T[] => Array.from({ length: n }, () => a);
const polluted = { polluted: 'yes' };

/** `{"t":"q","rid":1,"ev":["test/echo",<n nested arrays>]}` in either packer's bytes. */
const deepRequest = (n: number) =>
  raw(`{"t":"q","rid":1,"ev":["test/echo",${'['.repeat(n)}${']'.repeat(n)}]}`, [
    0x83,
    ...mpStr('t'),
    ...mpStr('q'),
    ...mpStr('rid'),
    0x01,
    ...mpStr('ev'),
    0x92,
    ...mpStr('test/echo'),
    ...times(n - 1, 0x91),
    0x90,
  ]);

/** A data frame of the packer's kind split into fragments of `size` bytes. */
function fragmented(p: Packer, message: unknown, size: number): Buffer {
  const f = p.pack(message);
  const bytes = typeof f === 'string' ? Buffer.from(f, 'utf8') : Buffer.from(f);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    const last = i + size >= bytes.length;
    parts.push(wsFrame(i === 0 ? (p.binary ? Op.Binary : Op.Text) : Op.Continuation, bytes.subarray(i, i + size), { fin: last }));
  }
  return Buffer.concat(parts);
}

const dataOp = (p: Packer) => (p.binary ? Op.Binary : Op.Text);

const frameBytes = (f: Frame) => (typeof f === 'string' ? Buffer.byteLength(f, 'utf8') : f.byteLength);

/** One `test/echo` request (rid 1) packed into a frame of exactly `size` bytes. */
function echoOfSize(p: Packer, size: number): Frame {
  const make = (n: number) => p.pack(q(1, ['test/echo', 'a'.repeat(n)]));
  let n = size;
  for (let i = 0; i < 4; i++) n += size - frameBytes(make(n));
  const f = make(n);
  if (frameBytes(f) !== size) throw new Error(`cannot pack an echo request into exactly ${size} bytes`);
  return f;
}

/** The refusal of an Ajax body. */
const refusal = (status: number, code: string): HttpOutcome => ({ status, code });

/** A raw upgrade request: the standard headers, edited. */
function upgrade(
  opts: { path?: string; method?: string; set?: Record<string, string>; drop?: string[]; add?: HeaderList; before?: HeaderList; after?: string | Buffer } = {},
) {
  return (host: string): string | Buffer => {
    let h = upgradeHeaders(host).filter(([k]) => !opts.drop?.includes(k));
    h = h.map(([k, v]) => [k, opts.set?.[k] ?? v] as [string, string]);
    for (const [k, v] of Object.entries(opts.set ?? {})) if (!h.some(([hk]) => hk === k)) h.push([k, v]);
    h = [...(opts.before ?? []), ...h, ...(opts.add ?? [])];
    const req = httpRequest(opts.method ?? 'GET', opts.path ?? '/chsk?v=1&cid=raw-attacker&uid=attacker', h);
    return opts.after === undefined ? req : Buffer.concat([Buffer.from(req, 'latin1'), Buffer.from(opts.after as Buffer)]);
  };
}

// ---------------------------------------------------------------------------------------------------------
// The cases

export const CORPUS: readonly HostileCase[] = [
  // --- Prototype pollution -------------------------------------------------------------------------------
  {
    name: 'proto-key-in-event-data',
    ref: 'prototype pollution via JSON.parse own __proto__ keys',
    kind: 'frames',
    frames: msgs(q(1, ['test/echo', own('__proto__', polluted)])),
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'proto-key-on-the-message',
    kind: 'frames',
    frames: msgs(own('__proto__', polluted, { t: 'e', ev: ['a/b'] })),
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'proto-key-spelt-with-unicode-escapes',
    ref: 'bypass of a raw-text __proto__ filter (fixed here)',
    kind: 'frames',
    frames: (p) =>
      p.binary ? [p.pack(q(1, ['test/echo', own('__proto__', polluted)]))] : ['{"t":"q","rid":1,"ev":["test/echo",{"\\u005f_proto__":{"polluted":"yes"}}]}'],
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'constructor-prototype-in-event-data',
    ref: 'lodash-style merge gadget (CVE-2018-16487 shape)',
    kind: 'frames',
    frames: msgs(q(1, ['test/echo', { a: [{ constructor: { prototype: polluted } }] }])),
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'constructor-object-in-event-data',
    ref: 'a naive deep merge of {"constructor":{"keys":…}} into {} replaces Object.keys (found by the fast-check property)',
    kind: 'frames',
    frames: msgs(q(1, ['test/echo', { constructor: { keys: 'x', assign: 1 } }])),
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'constructor-prototype-in-a-batch-member',
    kind: 'frames',
    frames: msgs({ t: 'b', ms: [q(1, ['test/echo', 1]), ev(['a/b', { constructor: { prototype: polluted } }])] }),
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  // Every other name of Object.prototype: a naive merge of {"hasOwnProperty":{"call":1}} into {} writes onto the
  // shared function and breaks every hasOwnProperty.call in the process (issue 10 #7).
  ...Object.getOwnPropertyNames(Object.prototype)
    .filter((n) => n !== '__proto__' && n !== 'constructor')
    .map(
      (n): HostileCase => ({
        name: `prototype-name-${n}-holding-an-object`,
        ref: 'naive merge onto a shared Object.prototype function (issue 10 #7)',
        kind: 'frames',
        frames: msgs(q(1, ['test/echo', { a: [own(n, { call: 1, apply: [1] })] }]), ev(['a/b', own(n, [{ call: 1 }])]), q(2, ['test/echo', own(n, 'plain')])),
        expect: { answers: [x(ErrorCode.BadFrame), x(ErrorCode.BadFrame), r(2)] },
      }),
    ),
  {
    name: 'prototype-named-event-ids-are-plain-ids',
    ref: 'engine.io CVE-2023-31125 (prototype lookup by client-chosen name)',
    kind: 'frames',
    frames: msgs(q(1, ['__proto__', 1]), q(2, ['constructor', 2]), q(3, ['toString', 3]), q(4, ['hasOwnProperty', 4])),
    expect: { answers: [r(1, 1), r(2, 2), r(3, 3), r(4, 4)] },
  },
  {
    name: 'event-named-error',
    ref: 'socket.io CVE-2024-38355 (an "error" event crashed the EventEmitter)',
    kind: 'frames',
    frames: msgs(q(1, ['error', 'boom']), ev(['error'])),
    expect: { answers: [r(1, 'boom')] },
  },
  {
    name: 'placeholder-object-is-plain-data',
    ref: 'socket.io-parser CVE-2022-2421 ({"_placeholder":true,"num":"splice"} injected a function)',
    kind: 'frames',
    frames: msgs(q(1, ['test/echo', { _placeholder: true, num: 'splice' }])),
    expect: { answers: [r(1, { _placeholder: true, num: 'splice' })] },
  },

  // --- Size, depth and length prefixes ---------------------------------------------------------------------
  {
    name: 'deep-nesting-20k',
    ref: 'JSON.parse/msgpack accept 1e6-deep input; JSON.stringify and the msgpack encoder then fail',
    kind: 'frames',
    frames: deepRequest(20_000),
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'nesting-one-over-maxDepth',
    server: { maxDepth: 16 },
    kind: 'frames',
    frames: deepRequest(15), // the message is level 1, ev level 2: 15 arrays reach level 17
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'nesting-at-maxDepth-is-served',
    server: { maxDepth: 16 },
    kind: 'frames',
    frames: deepRequest(14),
    expect: { answers: [{ r: 1 }] },
  },
  {
    name: 'huge-array-length-prefix',
    ref: 'socket.io-parser CVE-2020-36049 (99999991:…), msgpack RangeError on 4-billion-entry headers',
    kind: 'frames',
    frames: raw('99999991:4222', [0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]),
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'huge-string-length-prefix',
    kind: 'frames',
    frames: raw('{"t":"e","ev":["a/b","aaaa', [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61, 0x61]),
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'huge-map-length-prefix',
    kind: 'frames',
    frames: raw('{"t":"e","ev":["a/b",{"a":', [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x74]),
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'huge-binary-and-ext-length-prefixes',
    kind: 'frames',
    frames: (p) =>
      p.binary
        ? [Uint8Array.from([0xc6, 0xff, 0xff, 0xff, 0xff, 0x00]), Uint8Array.from([0xc9, 0xff, 0xff, 0xff, 0xff, 0x05, 0x00])]
        : ['{"t":"e","ev":["a/b",[1,2,3', '{"t":"e","ev":["a/b",tru'],
    expect: { answers: [x(ErrorCode.BadFrame), x(ErrorCode.BadFrame)] },
  },
  {
    name: 'trailing-bytes-after-a-message',
    ref: 'msgpack throws RangeError on trailing bytes',
    kind: 'frames',
    frames: (p) => {
      const f = p.pack(q(1, ['test/echo', 1]));
      return [typeof f === 'string' ? `${f}x` : Uint8Array.from([...f, 0xc0])];
    },
    expect: { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'empty-frame',
    kind: 'frames',
    frames: (p) => [p.binary ? new Uint8Array(0) : ''],
    // An Ajax text body ignores empty lines (PROTOCOL.md, "Bodies and framing"): an empty body is
    // no frame at all and is accepted. A zero-length binary frame (a 0 length prefix) does reach the core.
    expect: ({ transport, packer }) => ({ answers: transport === 'ajax' && !packer.binary ? [] : [x(ErrorCode.BadFrame)] }),
  },
  {
    name: 'garbage-bytes-in-a-binary-frame',
    ref: 'invalid UTF-8 / invalid msgpack',
    kind: 'frames',
    frames: () => [Uint8Array.from([0xff, 0xfe, 0xc1, 0x80, 0x00, 0xc1, 0xf8, 0xff])],
    // Over Ajax with a text packer the bytes are the body, and a text body that is not UTF-8 is malformed as
    // a whole: 400 CHSK_BAD_FRAME, nothing reaches the core (PROTOCOL.md, "Bodies and framing").
    expect: ({ transport, packer }) =>
      transport === 'ajax' && !packer.binary
        ? { answers: [], refused: [refusal(400, ErrorCode.BadFrame)] }
        : { answers: [x(ErrorCode.BadFrame)] },
  },
  {
    name: 'frame-kind-mismatch',
    kind: 'frames',
    // JSON accepts UTF-8 JSON in a binary frame; msgpack refuses a text frame. Ajax has no frame kinds (the
    // body is the packer's), so there the frame's bytes travel as they are, with the same outcome.
    frames: (p) => [p.binary ? '{"t":"q","rid":1,"ev":["test/echo",1]}' : new Uint8Array(Buffer.from('{"t":"q","rid":1,"ev":["test/echo",1]}'))],
    expect: ({ packer }) => ({ answers: [packer.binary ? x(ErrorCode.BadFrame) : r(1, 1)] }),
  },
  {
    name: 'lone-surrogates-and-odd-unicode-are-data',
    kind: 'frames',
    frames: raw('{"t":"q","rid":1,"ev":["test/echo","\\ud800 \\u0000 \\uffff"]}', [
      0x83,
      ...mpStr('t'),
      ...mpStr('q'),
      ...mpStr('rid'),
      0x01,
      ...mpStr('ev'),
      0x92,
      ...mpStr('test/echo'),
      0xa3,
      0xed,
      0xa0,
      0x80, // a UTF-16 surrogate encoded as UTF-8: not valid UTF-8, decoded leniently by msgpack
    ]),
    expect: { answers: [{ r: 1 }] },
  },

  // --- Message shapes ----------------------------------------------------------------------------------------
  {
    name: 'messages-that-are-not-objects',
    kind: 'frames',
    frames: msgs([1, 2], 'str', null, 42, true),
    expect: { answers: times(5, x(ErrorCode.BadMessage)) },
  },
  {
    name: 'missing-or-unknown-message-type',
    kind: 'frames',
    frames: msgs({}, { t: 'zz' }, { t: 1 }, { t: null }, { t: ['e'] }),
    expect: { answers: times(5, x(ErrorCode.BadMessage)) },
  },
  {
    name: 'server-only-types-from-a-client',
    ref: 'handshake forgery (a client claiming a uid)',
    kind: 'frames',
    frames: msgs({ t: 'hs', v: 1, uid: 'admin', cid: 'x' }, { t: 'x', code: 'C', msg: 'm' }),
    expect: { answers: [x(ErrorCode.BadMessage), x(ErrorCode.BadMessage)] },
  },
  {
    name: 'reply-for-a-never-issued-id',
    kind: 'frames',
    frames: msgs({ t: 'r', rid: 424242, d: 1 }),
    expect: { answers: [x(ErrorCode.BadMessage, 424242)] },
  },
  {
    name: 'uid-in-the-message-is-ignored',
    ref: 'uid spoofing: the uid comes only from userId(req)',
    kind: 'frames',
    frames: msgs(q(1, ['test/whoami'], { uid: 'admin' }), ev(['test/whoami'], { uid: 'admin' }), q(2, ['test/whoami'], { cid: 'admin-tab' })),
    expect: { answers: [r(1, 'attacker'), r(2, 'attacker')] },
  },
  {
    name: 'non-string-event-ids',
    ref: 'socket.io-parser CVE-2023-32695 (2[{"toString":"foo"}], 2[true,"foo"], 2[null,"bar"])',
    kind: 'frames',
    frames: msgs(q(1, [{ toString: 'foo' }]), q(2, [true, 'foo']), q(3, [null, 'bar']), q(4, [42]), q(5, [['nested']]), ev([{ toString: 'foo' }])),
    expect: { answers: [1, 2, 3, 4, 5].map((rid) => x(ErrorCode.BadMessage, rid)).concat([x(ErrorCode.BadMessage)]) },
  },
  {
    name: 'empty-and-overlong-event-ids',
    kind: 'frames',
    frames: msgs(q(1, ['']), q(2, ['a'.repeat(257)]), q(3, ['a'.repeat(256), 3])),
    expect: { answers: [x(ErrorCode.BadMessage, 1), x(ErrorCode.BadMessage, 2), r(3, 3)] },
  },
  {
    name: 'reserved-chsk-event-ids',
    ref: 'Sente: chsk/ ids belong to the library',
    kind: 'frames',
    frames: msgs(ev(['chsk/handshake', ['admin', null]]), ev(['chsk/uidport-open', 'admin']), q(3, ['chsk/ws-ping']), ev(['chsk/'])),
    expect: { answers: [x(ErrorCode.ReservedId), x(ErrorCode.ReservedId), x(ErrorCode.ReservedId, 3), x(ErrorCode.ReservedId)] },
  },
  {
    name: 'malformed-event-tuples',
    ref: 'socket.io-parser tests (0[], 442["some","data")',
    kind: 'frames',
    frames: msgs(ev('a/b' as never), ev([]), ev(['a/b', 1, 2]), { t: 'e' }, q(5, { 0: 'a/b', length: 1 } as never)),
    expect: { answers: [x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), x(ErrorCode.BadMessage, 5)] },
  },
  {
    name: 'invalid-mid',
    kind: 'frames',
    ref: 'PROTOCOL.md: mid is a safe integer >= 1; a refusal quotes only a valid one',
    frames: msgs(
      ev(['a/b'], { mid: '5' }),
      q(2, ['a/b'], { mid: 'm'.repeat(129) }),
      q(3, ['test/echo', 3], { mid: 0 }),
      ev(['a/b'], { mid: 1.5 }),
      ev(['a/b'], { mid: 2 ** 53 }),
      ev(['a/b'], { mid: { toString: 1 } }),
      q(4, ['test/echo', 4], { mid: 7 }),
      ev(['chsk/x'], { mid: 8 }),
      ev(['test/echo', 5], { mid: 9 }),
    ),
    expect: {
      answers: [
        x(ErrorCode.BadMessage),
        x(ErrorCode.BadMessage, 2),
        x(ErrorCode.BadMessage, 3),
        x(ErrorCode.BadMessage),
        x(ErrorCode.BadMessage),
        x(ErrorCode.BadMessage),
        r(4, 4),
        { x: ErrorCode.ReservedId, mid: 8 },
        { a: 9 },
      ],
    },
  },

  // --- Reply ids -------------------------------------------------------------------------------------------
  {
    name: 'reply-id-negative-zero-fractional',
    ref: 'ack ids that are negative, fractional (socket.io-parser 51.23-)',
    kind: 'frames',
    frames: msgs(q(-1, ['test/echo']), q(0, ['test/echo']), q(1.5, ['test/echo']), q(-0.5, ['test/echo'])),
    expect: { answers: times(4, x(ErrorCode.BadMessage)) },
  },
  {
    name: 'reply-id-huge',
    kind: 'frames',
    frames: msgs(q(2 ** 53, ['test/echo']), q(1e308, ['test/echo']), q(Number.MAX_SAFE_INTEGER, ['test/echo', 'max'])),
    expect: { answers: [x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), r(Number.MAX_SAFE_INTEGER, 'max')] },
  },
  {
    name: 'reply-id-not-a-number',
    ref: 'socket.io-parser CVE-2023-32695 shape on the ack id',
    kind: 'frames',
    frames: msgs(q('1', ['test/echo']), q(null, ['test/echo']), q([1], ['test/echo']), q({ toString: 1 }, ['test/echo']), q(true, ['test/echo']), { t: 'q', ev: ['test/echo'] }),
    expect: { answers: times(6, x(ErrorCode.BadMessage)) },
  },
  {
    name: 'reply-id-nan-and-infinity',
    kind: 'frames',
    // JSON cannot spell them (a bad frame); msgpack can (a bad message).
    frames: (p) =>
      p.binary ? [p.pack(q(NaN, ['test/echo'])), p.pack(q(Infinity, ['test/echo']))] : ['{"t":"q","rid":NaN,"ev":["test/echo"]}', '{"t":"q","rid":Infinity,"ev":["test/echo"]}'],
    expect: ({ packer }) => ({ answers: times(2, x(packer.binary ? ErrorCode.BadMessage : ErrorCode.BadFrame)) }),
  },
  {
    name: 'reply-id-duplicate-while-pending',
    kind: 'frames',
    frames: msgs(q(7, ['test/never']), q(7, ['test/never']), q(7, ['test/echo', 'x'])),
    expect: { answers: [x(ErrorCode.DuplicateReplyId, 7), x(ErrorCode.DuplicateReplyId, 7)] },
  },
  {
    name: 'reply-id-reused-after-its-reply',
    kind: 'frames',
    frames: msgs(q(1, ['test/echo', 'a']), q(1, ['test/echo', 'b'])),
    expect: { answers: [r(1, 'a'), r(1, 'b')] },
  },

  // --- Streamed replies (PROTOCOL.md, "Streamed replies") ----------------------------------------------------
  {
    name: 'stream-window-invalid',
    kind: 'frames',
    frames: msgs(q(1, ['test/echo'], { w: 0 }), q(2, ['test/echo'], { w: '5' }), q(3, ['test/echo'], { w: 1.5 }), q(4, ['test/echo'], { w: -1 }), q(5, ['test/echo', 5], { w: 2 ** 53 })),
    expect: { answers: [x(ErrorCode.BadMessage, 1), x(ErrorCode.BadMessage, 2), x(ErrorCode.BadMessage, 3), x(ErrorCode.BadMessage, 4), x(ErrorCode.BadMessage, 5)] },
  },
  {
    name: 'stream-controls-malformed',
    kind: 'frames',
    frames: msgs({ t: 'sc' }, { t: 'sc', rid: 'a' }, { t: 'cr', n: 1 }, { t: 'cr', rid: 1 }, { t: 'cr', rid: 1, n: 0 }, { t: 'cr', rid: 1, n: Number.MAX_SAFE_INTEGER + 2 }),
    expect: { answers: [x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), x(ErrorCode.BadMessage, 1), x(ErrorCode.BadMessage, 1), x(ErrorCode.BadMessage, 1)] },
  },
  {
    name: 'stream-controls-for-unknown-streams-are-ignored',
    kind: 'frames',
    frames: msgs({ t: 'cr', rid: 99, n: 5 }, { t: 'sc', rid: 98 }, { t: 'b', ms: [{ t: 'cr', rid: 97, n: 1 }, { t: 'sc', rid: 96 }] }, q(1, ['test/echo', 1])),
    expect: { answers: [r(1, 1)] },
  },
  {
    name: 'stream-credit-flood-takes-rate-limit-tokens',
    server: { rateLimit: { perSecond: 0.001, burst: 3, closeAfter: 1000 } },
    kind: 'frames',
    frames: msgs(...times(5, { t: 'cr', rid: 9, n: 1000 })),
    sync: 'count',
    expect: { answers: [x(ErrorCode.RateLimited, 9), x(ErrorCode.RateLimited, 9)] },
  },

  // --- Topics (PROTOCOL.md, "Topics") -------------------------------------------------------------------------
  {
    name: 'topic-join-malformed',
    kind: 'frames',
    frames: msgs({ t: 'tj', tp: 'room/1' }, { t: 'tj', tid: 1, tp: 7 }, { t: 'tj', tid: 1, tp: 'x'.repeat(1025) }, { t: 'tj', tid: 1, tp: 'a', o: -1 }, { t: 'tj', tid: 1, tp: 'a', o: [1.5, 'e'] }, { t: 'tj', tid: 1, tp: 'a', o: [1, 'e'.repeat(129)] }, { t: 'tl' }, q(1, ['test/echo', 1])),
    expect: { answers: [x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), x(ErrorCode.BadMessage), r(1, 1)] },
  },
  {
    name: 'topic-leave-of-unknown-joins-is-ignored',
    kind: 'frames',
    frames: msgs({ t: 'tl', tid: 5 }, { t: 'b', ms: [{ t: 'tl', tid: 6 }, { t: 'tl', tid: 7 }] }, q(1, ['test/echo', 1])),
    expect: { answers: [r(1, 1)] },
  },

  // --- Batches ---------------------------------------------------------------------------------------------
  {
    name: 'batch-nested',
    kind: 'frames',
    frames: msgs({ t: 'b', ms: [{ t: 'b', ms: [q(1, ['test/echo'])] }, q(2, ['test/echo', 2])] }),
    expect: { answers: [x(ErrorCode.BadMessage), r(2, 2)] },
  },
  {
    name: 'batch-empty-or-not-an-array',
    kind: 'frames',
    frames: msgs({ t: 'b', ms: [] }, { t: 'b', ms: { 0: q(1, ['a/b']), length: 1 } }, { t: 'b' }),
    expect: { answers: times(3, x(ErrorCode.BadMessage)) },
  },
  {
    name: 'batch-over-maxBatchSize',
    ref: 'socket.io-parser CVE-2026-33151 (unbounded attachment count)',
    server: { maxBatchSize: 10 },
    kind: 'frames',
    frames: msgs({ t: 'b', ms: times(11, ev(['a/b'])) }, { t: 'b', ms: times(10, ev(['a/b'])) }),
    expect: { answers: [x(ErrorCode.TooLarge)] },
  },
  {
    name: 'batch-mixed-good-and-bad-members',
    kind: 'frames',
    frames: msgs({ t: 'b', ms: [q(1, ['test/echo', 1]), 1, q(2, ['chsk/x']), { t: 'pi' }, ev(['a/b']), q(3, ['test/echo', 3]), q(3, ['test/echo', 33])] }),
    expect: { answers: [r(1, 1), x(ErrorCode.BadMessage), x(ErrorCode.ReservedId, 2), x(ErrorCode.BadMessage), r(3, 3), r(3, 33)] },
  },

  // --- Per-connection limits ---------------------------------------------------------------------------------
  {
    name: 'too-many-pending-requests',
    server: { maxPendingRequests: 3 },
    kind: 'frames',
    frames: msgs(q(1, ['test/never']), q(2, ['test/never']), q(3, ['test/never']), q(4, ['test/never']), q(5, ['test/echo', 5])),
    expect: { answers: [x(ErrorCode.TooManyPending, 4), x(ErrorCode.TooManyPending, 5)] },
  },
  {
    name: 'rate-limit-burst',
    server: { rateLimit: { perSecond: 0.001, burst: 3, closeAfter: 1000 } },
    kind: 'frames',
    frames: msgs(q(1, ['test/echo', 1]), q(2, ['test/echo', 2]), q(3, ['test/echo', 3]), q(4, ['test/echo', 4]), ev(['a/b'])),
    sync: 'count',
    expect: { answers: [r(1, 1), r(2, 2), r(3, 3), x(ErrorCode.RateLimited, 4), x(ErrorCode.RateLimited)] },
  },
  {
    name: 'ping-flood',
    server: { rateLimit: { perSecond: 0.001, burst: 3, closeAfter: 1000 } },
    kind: 'frames',
    frames: msgs(...times(5, { t: 'pi' }), ...times(5, { t: 'po' })),
    sync: 'count',
    expect: { answers: [...times(3, { po: true } as Answer), x(ErrorCode.RateLimited), x(ErrorCode.RateLimited)] },
  },
  {
    name: 'rate-limit-sustained-abuse-closes',
    // burst 3: the bystander (a connection of its own, with its own bucket) asks three times.
    server: { rateLimit: { perSecond: 0.001, burst: 3, closeAfter: 3 } },
    kind: 'frames',
    frames: (p) => Array.from({ length: 10 }, (_, i) => p.pack(q(i + 1, ['test/echo', i + 1]))),
    expect: { answers: [r(1, 1), r(2, 2), r(3, 3), x(ErrorCode.RateLimited, 4), x(ErrorCode.RateLimited, 5), x(ErrorCode.RateLimited, 6)], close: CloseCode.RateLimited },
  },
  {
    name: 'protocol-error-flood-closes',
    server: { maxProtocolErrors: 5 },
    kind: 'frames',
    frames: (p) => Array.from({ length: 20 }, () => (p.binary ? Uint8Array.from([0xc1]) : 'nope')),
    expect: { answers: times(5, x(ErrorCode.BadFrame)), close: CloseCode.PolicyViolation },
  },
  {
    name: 'oversized-frame',
    ref: 'ws CVE-2016-10542 (no default maxPayload), engine.io CVE-2020-36048',
    notOn: {
      ajax: {
        reason: 'close 1009 is a WebSocket close; an Ajax body over the limit is refused 413 and the connection stays open',
        see: 'ajax-oversized-body',
      },
    },
    kind: 'frames',
    frames: (p) => [p.pack(q(1, ['test/echo', 'a'.repeat(MAX_FRAME)]))],
    expect: { answers: [], close: CloseCode.TooLarge },
  },
  {
    name: 'frame-one-byte-over-maxFrameBytes',
    ref: 'an Ajax body may hold maxFrameBytes + 4 bytes: the core checks the frame itself',
    notOn: {
      ws: { reason: 'ws refuses it from the length prefix with close 1009 before it reaches the core', see: 'oversized-frame' },
    },
    kind: 'frames',
    frames: (p) => [echoOfSize(p, MAX_FRAME + 1)],
    // Text: the body (maxFrameBytes + 1 bytes) is within the limit, the core refuses the frame. Binary: the
    // length prefix makes the body maxFrameBytes + 5 bytes, one over the limit.
    expect: ({ packer }) =>
      packer.binary ? { answers: [], refused: [refusal(413, ErrorCode.TooLarge)] } : { answers: [x(ErrorCode.TooLarge)] },
  },
  {
    name: 'frame-just-under-maxFrameBytes-is-served',
    kind: 'frames',
    frames: (p) => [p.pack(q(1, ['test/echo', 'a'.repeat(MAX_FRAME - 100)]))],
    expect: { answers: [{ r: 1 }] },
  },

  // --- WebSocket framing (raw frames on the upgraded socket) ----------------------------------------------
  {
    name: 'invalid-utf8-in-a-text-frame',
    kind: 'ws-frames',
    bytes: () => [wsFrame(Op.Text, Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]))],
    expect: { answers: [], close: CloseCode.InvalidPayload },
  },
  {
    name: 'length-prefix-over-maxFrameBytes',
    ref: 'ws CVE-2016-10542: refused from the header, before the payload arrives',
    kind: 'ws-frames',
    bytes: (p) => [wsFrame(dataOp(p), 'x'.repeat(16), { declaredLength: 10_000_000n })],
    expect: { answers: [], close: CloseCode.TooLarge },
  },
  {
    name: 'length-prefix-over-2^53',
    ref: 'ws receiver: length above 2^53 - 1',
    kind: 'ws-frames',
    bytes: (p) => [wsFrame(dataOp(p), 'x', { declaredLength: 2n ** 60n })],
    expect: { answers: [], close: CloseCode.TooLarge },
  },
  {
    name: 'thousands-of-tiny-fragments',
    ref: 'ws CVE-2026-48779 (FIN=0 then ~131k one-byte continuation frames)',
    kind: 'ws-frames',
    bytes: (p) => [Buffer.concat([wsFrame(dataOp(p), 'a', { fin: false }), ...times(20_000, wsFrame(Op.Continuation, 'a', { fin: false }))])],
    expect: { answers: [], close: CloseCode.PolicyViolation },
  },
  {
    name: 'fragments-adding-up-over-maxFrameBytes',
    kind: 'ws-frames',
    bytes: (p) => [wsFrame(dataOp(p), 'a'.repeat(40_000), { fin: false }), wsFrame(Op.Continuation, 'a'.repeat(40_000), { fin: false })],
    expect: { answers: [], close: CloseCode.TooLarge },
  },
  {
    name: 'message-in-one-byte-fragments-is-served',
    kind: 'ws-frames',
    bytes: (p) => [fragmented(p, q(1, ['test/echo', 'fragmented']), 1)],
    expect: { answers: [r(1, 'fragmented')] },
  },
  {
    name: 'rsv-bits-set',
    ref: 'engine.io CVE-2022-21676 ("RSV2 and RSV3 must be clear" crashed the process)',
    kind: 'ws-frames',
    bytes: (p) => [messageFrame(p, q(1, ['test/echo']), { rsv: 0x30 })],
    expect: { answers: [], close: CloseCode.ProtocolError },
  },
  {
    name: 'rsv1-without-compression',
    kind: 'ws-frames',
    bytes: (p) => [messageFrame(p, q(1, ['test/echo']), { rsv: 0x40 })],
    expect: { answers: [], close: CloseCode.ProtocolError },
  },
  {
    name: 'unmasked-client-frame',
    kind: 'ws-frames',
    bytes: (p) => [messageFrame(p, q(1, ['test/echo']), { mask: false })],
    expect: { answers: [], close: CloseCode.ProtocolError },
  },
  {
    name: 'oversized-control-frame',
    kind: 'ws-frames',
    bytes: () => [wsFrame(Op.Ping, 'p'.repeat(126))],
    expect: { answers: [], close: CloseCode.ProtocolError },
  },
  {
    name: 'fragmented-control-frame',
    kind: 'ws-frames',
    bytes: () => [wsFrame(Op.Ping, 'p', { fin: false })],
    expect: { answers: [], close: CloseCode.ProtocolError },
  },
  {
    name: 'unknown-opcode',
    kind: 'ws-frames',
    bytes: () => [wsFrame(0x3, 'x')],
    expect: { answers: [], close: CloseCode.ProtocolError },
  },
  {
    name: 'continuation-without-a-first-fragment',
    kind: 'ws-frames',
    bytes: () => [wsFrame(Op.Continuation, 'x')],
    expect: { answers: [], close: CloseCode.ProtocolError },
  },
  {
    name: 'close-frame-with-a-1-byte-payload',
    kind: 'ws-frames',
    bytes: () => [wsFrame(Op.Close, Uint8Array.from([0x03]))],
    expect: { answers: [], close: CloseCode.ProtocolError },
  },
  {
    name: 'close-frame-with-an-invalid-code',
    kind: 'ws-frames',
    bytes: () => [closeFrame(999)],
    expect: { answers: [], close: CloseCode.ProtocolError },
  },
  {
    name: 'close-frame-with-invalid-utf8-reason',
    kind: 'ws-frames',
    bytes: () => [closeFrame(1000, Uint8Array.from([0xff, 0xfe]))],
    expect: { answers: [], close: CloseCode.InvalidPayload },
  },

  // --- The upgrade request (raw TCP) -----------------------------------------------------------------------
  {
    name: 'garbage-bytes-right-after-the-upgrade',
    ref: 'engine.io CVE-2022-21676 (uncaught RangeError before the error listener was attached)',
    kind: 'upgrade',
    request: upgrade({ after: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02]) }),
    expect: { status: 101, close: CloseCode.ProtocolError },
  },
  {
    name: 'h2c-upgrade',
    ref: 'engine.io CVE-2022-41940 (Upgrade: h2c → unhandled ECONNRESET)',
    kind: 'upgrade',
    request: upgrade({ set: { Upgrade: 'h2c', Connection: 'Upgrade, HTTP2-Settings', 'HTTP2-Settings': 'AAMAAABkAARAAAAAAAIAAAAA' } }),
    expect: { status: 400, code: ErrorCode.BadMessage },
  },
  {
    name: 'h2c-upgrade-on-another-path',
    kind: 'upgrade',
    request: upgrade({ path: '/elsewhere', set: { Upgrade: 'h2c', Connection: 'Upgrade, HTTP2-Settings', 'HTTP2-Settings': '' } }),
    expect: { status: 404, code: ErrorCode.BadMessage },
  },
  {
    name: 'websocket-upgrade-on-another-path',
    kind: 'upgrade',
    request: upgrade({ path: '/not-chsk' }),
    expect: { status: 404, code: ErrorCode.BadMessage },
  },
  {
    name: 'over-2000-headers',
    ref: 'ws CVE-2024-37890 (req.headers.upgrade undefined → crash)',
    kind: 'upgrade',
    request: upgrade({ before: times(2100, ['a', 'b'] as [string, string]) }),
    // Node 22 and later refuse so many headers themselves (431) before the request reaches ws or sente-rx.
    expect: Number(process.versions.node.split('.')[0]) >= 22 ? { status: 431 } : { status: 400, code: ErrorCode.BadMessage },
  },
  {
    name: 'sec-websocket-protocol-redos',
    ref: 'ws CVE-2021-32640 ("b" + " "×N + "x" against / *, */)',
    kind: 'upgrade',
    request: upgrade({ set: { 'Sec-WebSocket-Protocol': `b${' '.repeat(12_000)}x` } }),
    expect: { status: 400 },
  },
  {
    name: 'sec-websocket-protocol-redos-with-csrf-on',
    server: { csrfToken: () => 'token' },
    client: { csrfToken: 'token' },
    kind: 'upgrade',
    request: upgrade({ set: { 'Sec-WebSocket-Protocol': `sente-rx.v1,${' '.repeat(12_000)}csrf.${' '.repeat(100)}` } }),
    expect: { status: 403, code: ErrorCode.Rejected },
  },
  {
    name: 'sec-websocket-extensions-with-prototype-names',
    ref: 'ws GHSA-5v72-xg48-5rpm',
    kind: 'upgrade',
    request: upgrade({ set: { 'Sec-WebSocket-Extensions': 'constructor; __proto__=1, toString, hasOwnProperty; a=b' } }),
    expect: { status: 101, served: { uid: 'attacker' } },
  },
  {
    name: 'prototype-names-in-the-query',
    ref: 'engine.io CVE-2023-31125 (?transport=__proto__)',
    kind: 'upgrade',
    request: upgrade({ path: '/chsk?transport=__proto__&v=1&cid=raw-attacker&uid=attacker&constructor=1&__proto__=1&hasOwnProperty=1' }),
    expect: { status: 101, served: { uid: 'attacker' } },
  },
  {
    name: 'prototype-names-as-client-id-and-uid',
    kind: 'upgrade',
    request: upgrade({ path: '/chsk?v=1&cid=__proto__&uid=__proto__' }),
    expect: { status: 101, served: { uid: '__proto__' } },
  },
  {
    name: 'protocol-version-not-a-number',
    kind: 'upgrade',
    request: upgrade({ path: '/chsk?v=__proto__&cid=raw-attacker' }),
    expect: { status: 101, close: CloseCode.BadHandshake },
  },
  {
    name: 'client-id-missing-or-malformed',
    kind: 'upgrade',
    request: upgrade({ path: `/chsk?v=1&cid=${'a'.repeat(129)}` }),
    expect: { status: 101, close: CloseCode.BadHandshake },
  },
  {
    name: 'one-byte-tcp-writes',
    ref: 'ws CVE-2026-48779 (many tiny TCP chunks)',
    kind: 'upgrade',
    bytewise: true,
    request: upgrade({ add: [['X-Pad', 'p'.repeat(3000)]] }),
    expect: { status: 101, served: { uid: 'attacker' } },
  },
  {
    name: 'upgrade-with-post',
    kind: 'upgrade',
    request: upgrade({ method: 'POST' }),
    expect: { status: 405 },
  },
  {
    name: 'unsupported-websocket-version',
    kind: 'upgrade',
    request: upgrade({ set: { 'Sec-WebSocket-Version': '7' } }),
    expect: { status: 400 },
  },
  {
    name: 'missing-websocket-key',
    kind: 'upgrade',
    request: upgrade({ drop: ['Sec-WebSocket-Key'] }),
    expect: { status: 400 },
  },
  {
    name: 'oversized-request-head',
    kind: 'upgrade',
    request: upgrade({ add: [['X-Big', 'b'.repeat(20_000)]] }),
    expect: { status: 431 },
  },
  {
    name: 'cross-site-websocket-hijacking',
    ref: 'CWE-1385; Sente CVE-2019-1000022',
    kind: 'upgrade',
    request: upgrade({ set: { Origin: 'https://evil.example', Cookie: 'sid=victim' } }),
    expect: { status: 403, code: ErrorCode.Rejected },
  },
  {
    name: 'origin-null',
    kind: 'upgrade',
    request: upgrade({ set: { Origin: 'null' } }),
    expect: { status: 403, code: ErrorCode.Rejected },
  },
  {
    name: 'origin-with-our-host-as-a-prefix',
    kind: 'upgrade',
    request: (host) => upgrade({ set: { Origin: `http://${host.split(':')[0]}.evil.com:${host.split(':')[1]}` } })(host),
    expect: { status: 403, code: ErrorCode.Rejected },
  },
  {
    name: 'origin-sent-twice',
    kind: 'upgrade',
    request: (host) => upgrade({ add: [['Origin', `http://${host}`], ['Origin', 'https://evil.example']] })(host),
    expect: { status: 403, code: ErrorCode.Rejected },
  },
  {
    name: 'csrf-token-only-in-the-query-string',
    ref: 'Sente #479: tokens in URLs end up in proxy logs; the server never reads them there',
    server: { csrfToken: () => 'the-token' },
    client: { csrfToken: 'the-token' },
    kind: 'upgrade',
    request: upgrade({ path: '/chsk?v=1&cid=raw-attacker&csrf-token=the-token&csrfToken=the-token&csrf=the-token' }),
    expect: { status: 403, code: ErrorCode.Rejected },
  },
  {
    name: 'forged-csrf-token',
    server: { csrfToken: () => 'the-token' },
    client: { csrfToken: 'the-token' },
    kind: 'upgrade',
    request: upgrade({ set: { 'Sec-WebSocket-Protocol': `sente-rx.v1, csrf.${Buffer.from('the-tokem').toString('base64url')}` } }),
    expect: { status: 403, code: ErrorCode.Rejected },
  },

  // --- Ajax requests (PROTOCOL.md, "Ajax long-poll transport") ----------------------------------------------------------------
  {
    name: 'ajax-cross-site-text-plain-post',
    ref: 'cross-site text/plain POSTs are sent without a CORS preflight',
    kind: 'ajax',
    request: { method: 'POST', token: 'valid', headers: { 'content-type': 'text/plain', origin: 'https://evil.example' }, body: { frames: msgs(q(1, ['test/echo'])) } },
    expect: { status: 403, code: ErrorCode.Rejected },
  },
  {
    name: 'ajax-cross-site-handshake',
    ref: 'Sente CVE-2019-1000022 (the handshake leaked the CSRF token to any origin)',
    kind: 'ajax',
    request: { method: 'GET', token: 'missing', handshake: true, headers: { origin: 'https://evil.example' } },
    expect: { status: 403, code: ErrorCode.Rejected },
  },
  {
    name: 'ajax-handshake-with-prototype-names-in-the-query',
    ref: 'engine.io CVE-2023-31125 (?transport=__proto__)',
    kind: 'ajax',
    request: {
      method: 'GET',
      token: 'missing',
      handshake: true,
      query: [
        ['cid', '__proto__'],
        ['uid', '__proto__'],
        ['__proto__', '1'],
        ['constructor', '1'],
        ['hasOwnProperty', '1'],
      ],
    },
    expect: { status: 200 },
  },
  {
    name: 'ajax-post-with-a-forged-token',
    ref: 'the selector finds the connection, the secret (192 bits) is compared in constant time',
    kind: 'ajax',
    request: { method: 'POST', token: 'forged', body: { frames: msgs(q(1, ['test/echo'])) } },
    expect: { status: 403, code: ErrorCode.BadToken },
  },
  {
    name: 'ajax-post-without-a-token',
    kind: 'ajax',
    request: { method: 'POST', token: 'missing', body: { frames: msgs(q(1, ['test/echo'])) } },
    expect: { status: 401, code: ErrorCode.BadToken },
  },
  {
    name: 'ajax-post-with-own-token-and-another-clients-id',
    ref: "knowing another client's id is not enough to speak for it",
    kind: 'ajax',
    request: { method: 'POST', token: 'foreign', body: { frames: msgs(q(1, ['test/echo'])) } },
    expect: { status: 403, code: ErrorCode.BadToken },
  },
  {
    name: 'ajax-poll-with-a-forged-token',
    ref: 'socket.io CVE-2017-16031 (guessable session ids act as bearer tokens)',
    kind: 'ajax',
    request: { method: 'GET', token: 'forged' },
    expect: { status: 403, code: ErrorCode.BadToken },
  },
  {
    name: 'ajax-poll-with-own-token-and-another-clients-id',
    ref: "knowing another client's id is not enough to read its queue",
    kind: 'ajax',
    request: { method: 'GET', token: 'foreign' },
    expect: { status: 403, code: ErrorCode.BadToken },
  },
  {
    name: 'ajax-poll-with-the-token-only-in-the-query',
    ref: 'tokens in URLs end up in proxy logs; the server never reads one there',
    kind: 'ajax',
    request: { method: 'GET', token: 'query-only' },
    expect: { status: 401, code: ErrorCode.BadToken },
  },
  {
    name: 'ajax-post-as-a-form',
    ref: 'a cross-site <form> posts urlencoded, multipart or text/plain bodies without a preflight',
    kind: 'ajax',
    request: { method: 'POST', token: 'valid', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: { raw: Buffer.from('t=q&rid=1') } },
    expect: { status: 415, code: ErrorCode.BadContentType },
  },
  {
    name: 'ajax-oversized-body',
    ref: 'engine.io CVE-2020-36048 (100 MB bodies); the limit is maxFrameBytes + 4, one full frame with its length prefix',
    kind: 'ajax',
    request: { method: 'POST', token: 'valid', body: { filler: MAX_FRAME + 5 } },
    expect: { status: 413, code: ErrorCode.TooLarge },
  },
  {
    name: 'ajax-oversized-body-without-a-content-length',
    ref: 'a chunked body declares no size: the server stops reading at the limit',
    kind: 'ajax',
    request: { method: 'POST', token: 'valid', body: { filler: 16 * MAX_FRAME, streamed: true } },
    expect: { status: 413, code: ErrorCode.TooLarge },
  },
  {
    name: 'ajax-garbage-body',
    ref: 'not UTF-8 (text packers); a truncated length prefix (binary packers)',
    kind: 'ajax',
    request: { method: 'POST', token: 'valid', body: { raw: Uint8Array.from([0xff, 0xfe, 0xc1]) } },
    expect: { status: 400, code: ErrorCode.BadFrame },
  },
];

/** The transports a case applies to. */
export function transportsOf(c: HostileCase): readonly TransportName[] {
  switch (c.kind) {
    case 'frames':
      return ALL_TRANSPORTS.filter((t) => c.notOn?.[t] === undefined);
    case 'ws-frames':
    case 'upgrade':
      return ['ws'];
    case 'ajax':
      return ['ajax'];
  }
}

export function outcomeOf<T>(e: Expect<T>, ctx: Ctx): T {
  return typeof e === 'function' ? (e as (c: Ctx) => T)(ctx) : e;
}
