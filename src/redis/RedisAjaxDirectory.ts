import { createHmac, randomBytes } from 'crypto';
import type { Redis } from 'ioredis';
import { interval, type Subscription } from 'rxjs';
import { ErrorCode } from '../protocol/codes';
import { tokensEqual } from '../server/admitRequest';
import type { AjaxDirectory, AjaxDirectoryHost, AjaxLocation, AjaxOp, AjaxRelayStats, AjaxResponse, IssuedToken } from '../server/ajax/AjaxDirectory';
import { refuse } from '../server/ajax/ajaxHttp';
import { decodeRelay, encodeRelay, type RelayHeader } from './relayCodec';
import { RelayedResponse } from './RelayedResponse';

const HERE: AjaxLocation = { ok: true, home: undefined };
/** How much longer than the long-poll hold a relayed request waits for its home node's answer. */
const RELAY_SLACK_MS = 5000;

interface Waiting {
  readonly home: string;
  readonly res: AjaxResponse;
  readonly poll: boolean;
  timer: Subscription | undefined;
}

/**
 * Ajax without sticky sessions on Redis (PROTOCOL.md, "Several nodes: no sticky sessions"). A token's selector
 * names the node that holds the connection (its home) and its secret is an HMAC of the selector and the client
 * id under a cluster key, so every node checks every token locally. A request for a connection homed elsewhere
 * is relayed to that node on `<prefix>ajx:<home>` (one PUBLISH) and its answer comes back on
 * `<prefix>ajx:<this node>` (another): the home node runs it on the connection as if it had arrived there.
 */
export class RedisAjaxDirectory implements AjaxDirectory {
  private host: AjaxDirectoryHost | undefined;
  private sub: Redis | undefined;
  private key: Buffer | undefined;
  private keyLoad: Promise<Buffer> | undefined;
  private subscribed: Promise<unknown> | undefined;
  private readonly selfTag: string;
  private readonly keyName: string;
  /** The cluster key lives in Redis (no `ajaxSecret`). */
  private readonly shared: boolean;
  /** Requests this node relayed, waiting for their answer, by relay id. */
  private readonly waiting = new Map<number, Waiting>();
  /** Requests relayed to this node whose answer is not written yet, by `<origin> <id>`. */
  private readonly servingById = new Map<string, RelayedResponse>();
  private nextId = 1;
  private closed = false;
  /** An outage was reported already (see {@link fail}). */
  private failing = false;
  private readonly counts = { relayed: 0, served: 0, gone: 0, failed: 0 };
  /** While relayed requests wait: checks every `checkMs` that their home nodes still listen. */
  private watch: Subscription | undefined;

  constructor(
    private readonly cmd: Redis,
    private readonly prefix: string,
    private readonly nodeId: string,
    secret: string | undefined,
    /** How often waiting relays check that their home nodes still listen (the adapter's `heartbeatMs`). */
    private readonly checkMs: number,
  ) {
    this.selfTag = Buffer.from(nodeId).toString('base64url');
    this.keyName = `${prefix}ajax:key`;
    this.shared = secret === undefined;
    if (secret !== undefined) this.key = Buffer.from(secret);
  }

  start(host: AjaxDirectoryHost): void {
    this.host = host;
    // Relayed requests and answers on a connection of their own (a subscriber cannot send commands).
    const sub = (this.sub = this.cmd.duplicate({ autoResubscribe: true, enableOfflineQueue: true }));
    sub.on('error', () => undefined); // the adapter reports Redis outages; this copy follows the same server
    sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.onMessage(message));
    this.subscribed = sub.subscribe(this.channel(this.nodeId)).catch((e: unknown) => this.fail('subscribe', e));
    if (!this.key) void this.loadKey().catch((e: unknown) => this.fail('key', e));
    // Redis may come back empty (a restart without persistence): put the cluster key back before a node that
    // starts now makes another one, so tokens issued before stay valid on every node.
    this.cmd.on('ready', () => {
      if (this.shared && this.key && !this.closed) this.cmd.set(this.keyName, this.key.toString(), 'NX').catch(() => undefined);
    });
  }

  /** Requests this node relayed to other nodes, waiting for their answers now. */
  get relaying(): number {
    return this.waiting.size;
  }

  /** Requests other nodes relayed to this node, not answered yet (held polls among them). */
  get serving(): number {
    return this.servingById.size;
  }

  /** The relay counters for `stats$.adapter.ajaxRelay`. */
  stats(): AjaxRelayStats {
    return { ...this.counts, waiting: this.waiting.size };
  }

  /** Resolves once this node listens for relayed requests and holds the cluster key (or failed trying: reported). */
  async whenReady(): Promise<void> {
    await this.subscribed;
    if (!this.key) await this.loadKey().catch(() => undefined);
  }

  issue(cid: string): IssuedToken | Promise<IssuedToken> {
    const selector = `${this.selfTag}~${randomBytes(12).toString('base64url')}`;
    if (this.key) return this.token(this.key, selector, cid);
    return this.loadKey().then((key) => this.token(key, selector, cid));
  }

  locate(token: string | undefined, cid: string): AjaxLocation | Promise<AjaxLocation> {
    if (token === undefined || token.length === 0) {
      return { ok: false, status: 401, code: ErrorCode.BadToken, message: 'missing connection token (x-chsk-token): do the handshake first' };
    }
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 256) return { ok: false, status: 401, code: ErrorCode.BadToken, message: 'malformed connection token' };
    const selector = token.slice(0, dot);
    const tilde = selector.indexOf('~');
    const tag = tilde > 0 ? selector.slice(0, tilde) : '';
    // This node's own connections: the registry finds them (or refuses the token), as on one process.
    if (tag === this.selfTag) return HERE;
    const home = Buffer.from(tag, 'base64url').toString();
    if (tag === '' || Buffer.from(home).toString('base64url') !== tag) return unknown();
    const check = (key: Buffer): AjaxLocation | Promise<AjaxLocation> =>
      tokensEqual(token.slice(dot + 1), this.mac(key, selector, cid)) ? { ok: true, home, selector } : this.forged(home);
    return this.key ? check(this.key) : this.loadKey().then(check, keyless);
  }

  forward(home: string, op: AjaxOp, res: AjaxResponse): void {
    const host = this.host;
    if (!host || this.closed) return refuse(res, { status: 503, code: ErrorCode.Closed, message: 'server closing' });
    const id = this.nextId++;
    this.counts.relayed++;
    const w: Waiting = { home, res, poll: op.op === 'poll', timer: undefined };
    this.waiting.set(id, w);
    w.timer = host.scheduler.schedule(() => {
      if (this.take(id) !== w) return;
      this.counts.failed++;
      unanswered(w);
    }, host.longPollTimeoutMs + RELAY_SLACK_MS);
    this.watch ??= interval(this.checkMs, host.scheduler).subscribe(() => void this.checkHomes());
    res.once('close', () => {
      // The client went away (an abandoned poll): the home node lets go of it too.
      if (this.take(id) === w) this.publish(home, encodeRelay(['c', this.nodeId, id]));
    });
    const header: RelayHeader = ['q', this.nodeId, id, op.op, op.selector, op.cid, op.op === 'delete' ? null : (op.ack ?? null)];
    this.cmd.publish(this.channel(home), encodeRelay(header, op.op === 'post' ? op.body : undefined)).then(
      (receivers) => {
        this.failing = false;
        if (receivers > 0 || this.take(id) !== w) return;
        this.counts.gone++;
        refuse(res, { status: 410, code: ErrorCode.BadToken, message: 'the node holding this connection is gone: do a new handshake' });
      },
      (e: unknown) => {
        if (this.take(id) !== w) return;
        this.counts.failed++;
        this.fail('relay', e);
        refuse(res, { status: 503, code: ErrorCode.AdapterError, message: 'cannot reach the node holding this connection' });
      },
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watch?.unsubscribe();
    for (const id of [...this.waiting.keys()]) {
      const w = this.take(id);
      if (w) refuse(w.res, { status: 503, code: ErrorCode.Closed, message: 'server closing' });
    }
    this.sub?.disconnect();
  }

  /** @internal A relayed request was answered here: the answer goes back to the node that relayed it. */
  answered(origin: string, id: number, status: number, headers: Record<string, string>, body: Buffer | undefined): void {
    this.servingById.delete(`${origin} ${id}`);
    this.publish(origin, encodeRelay(['a', this.nodeId, id, status, headers], body));
  }

  // --- internals -------------------------------------------------------------------------------------------

  private channel(node: string): string {
    return `${this.prefix}ajx:${node}`;
  }

  private token(key: Buffer, selector: string, cid: string): IssuedToken {
    const secret = this.mac(key, selector, cid);
    return { selector, secret, token: `${selector}.${secret}` };
  }

  private mac(key: Buffer, selector: string, cid: string): string {
    return createHmac('sha256', key).update(`${selector}\n${cid}`).digest('base64url');
  }

  /** The cluster key: the first node stores 256 random bits (SET NX), every node reads the same. */
  private loadKey(): Promise<Buffer> {
    if (this.key) return Promise.resolve(this.key);
    const k = this.keyName;
    this.keyLoad ??= this.cmd
      .set(k, randomBytes(32).toString('base64url'), 'NX')
      .then(() => this.cmd.get(k))
      .then((v) => {
        if (!v) throw new Error('the Ajax token key is missing from Redis');
        return (this.key = Buffer.from(v));
      })
      .catch((e: unknown) => {
        this.keyLoad = undefined; // tried again by the next request
        throw e;
      });
    return this.keyLoad;
  }

  /**
   * A token whose signature does not hold: 403, unless its home node is not in this cluster at all (a token
   * from another cluster or a stale deployment), which is an unknown token (410), as on one process.
   */
  private forged(home: string): Promise<AjaxLocation> {
    const refused: AjaxLocation = { ok: false, status: 403, code: ErrorCode.BadToken, message: 'the connection token does not belong to this client' };
    return this.cmd.zscore(`${this.prefix}nodes`, home).then(
      (score) => (score === null ? unknown() : refused),
      () => refused,
    );
  }

  private take(id: number): Waiting | undefined {
    const w = this.waiting.get(id);
    if (!w) return undefined;
    this.waiting.delete(id);
    w.timer?.unsubscribe();
    if (this.waiting.size === 0) {
      this.watch?.unsubscribe();
      this.watch = undefined;
    }
    return w;
  }

  /**
   * A home node that died holding relayed requests never answers them, and Redis does not say so: every
   * `checkMs` while some wait, one `PUBSUB NUMSUB` asks whether their homes still listen, and the requests of a
   * home that does not are given up at once instead of at their deadline (a held poll: `longPollTimeoutMs` + 5 s).
   */
  private async checkHomes(): Promise<void> {
    const homes = [...new Set([...this.waiting.values()].map((w) => w.home))];
    if (homes.length === 0 || this.cmd.status !== 'ready') return;
    let counts: unknown[];
    try {
      counts = await this.cmd.pubsub('NUMSUB', ...homes.map((h) => this.channel(h)));
    } catch {
      return; // Redis is away: the adapter reports it; the deadlines still run
    }
    const gone = new Set(homes.filter((_, i) => Number(counts[2 * i + 1]) === 0));
    if (gone.size === 0) return;
    for (const [id, w] of [...this.waiting]) {
      if (gone.has(w.home) && this.take(id) === w) this.counts.gone++, unanswered(w);
    }
  }

  private publish(node: string, payload: Buffer): void {
    this.cmd.publish(this.channel(node), payload).catch((e: unknown) => this.fail('relay', e));
  }

  private onMessage(raw: Buffer): void {
    const m = decodeRelay(raw);
    const host = this.host;
    if (!m || !host || this.closed) return;
    const h = m.header;
    switch (h[0]) {
      case 'q': {
        const [, origin, id, op, selector, cid, ack] = h;
        const res = new RelayedResponse(this, origin, id);
        this.counts.served++;
        this.servingById.set(`${origin} ${id}`, res);
        const a = ack ?? undefined;
        if (op === 'poll') return host.execute({ op, selector, cid, ack: a }, res);
        if (op === 'post') return host.execute({ op, selector, cid, ack: a, body: m.body ?? new Uint8Array(0) }, res);
        return host.execute({ op: 'delete', selector, cid }, res);
      }
      case 'c': {
        const key = `${h[1]} ${h[2]}`;
        const res = this.servingById.get(key);
        this.servingById.delete(key);
        res?.abort();
        return;
      }
      case 'a': {
        const w = this.take(h[2]);
        if (!w || w.res.writableEnded || w.res.destroyed) return;
        w.res.statusCode = h[3];
        for (const [name, value] of Object.entries(h[4])) w.res.setHeader(name, value);
        w.res.end(m.body ? Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength) : undefined);
        return;
      }
    }
  }

  /** Reports a failure on `errors$`: the first of an outage only, while Redis is unreachable (as the adapter does). */
  private fail(where: string, e: unknown): void {
    const down = this.cmd.status !== 'ready';
    if (down && this.failing) return;
    this.failing = down;
    this.host?.report({ code: ErrorCode.AdapterError, message: `Redis Ajax relay (${where}): ${String((e as Error)?.message ?? e)}`, error: e });
  }

}

/**
 * A relayed request whose home node never answered (it died holding it, or the bus lost the answer): a poll is
 * answered empty (the next one learns that the home is gone: 410), anything else as a failure.
 */
function unanswered(w: Waiting): void {
  const res = w.res;
  if (!w.poll) return refuse(res, { status: 503, code: ErrorCode.AdapterError, message: 'no answer from the node holding this connection' });
  if (res.writableEnded || res.destroyed) return;
  res.statusCode = 204;
  res.setHeader('cache-control', 'no-store');
  res.end();
}

/** The cluster key could not be read from Redis: the token cannot be checked now. */
function keyless(): AjaxLocation {
  return { ok: false, status: 503, code: ErrorCode.AdapterError, message: 'cannot check the connection token now; try again' };
}

function unknown(): AjaxLocation {
  return { ok: false, status: 410, code: ErrorCode.BadToken, message: 'unknown or expired connection token: do a new handshake' };
}
