import type { Redis } from 'ioredis';
import type { Packer } from '../packers/Packer';
import { DEFAULT_DEDUPE_LIMITS, isPackedReply, type DedupeLimits, type DedupeStore, type DedupeVerdict, type StoredReply } from '../server/adapter/Dedupe';
import { newDedupeEpoch } from '../server/adapter/dedupeEpoch';
import { CLAIM, COMPLETE, DEDUPE_EPOCH } from './replayScripts';

interface Scripts {
  chskClaim(hash: string, order: string, mid: string, now: string, windowMs: string, maxEntries: string): Promise<string>;
  chskComplete(hash: string, order: string, mid: string, reply: string): Promise<number>;
  chskDedupeEpoch(key: string, fresh: string): Promise<string>;
}

const NEW: DedupeVerdict = { state: 'new' };
const PENDING: DedupeVerdict = { state: 'pending' };

/**
 * Message-id dedupe in Redis, so a message re-sent to another node after a cut is not handled twice: per
 * (uid, client id) a hash of mid → pending/done (with the request's reply) and a zset of claim order for the
 * entry bound, one round trip per claim (a Lua script: the claim is atomic across nodes). The window runs on
 * the caller's clock like `MemoryDedupe`; key TTLs free idle clients.
 */
export class RedisDedupe implements DedupeStore {
  private limits: DedupeLimits;
  private readonly s: Scripts;
  /** The server's packer: replies are kept as it packs them (binary data survives; JSON would mangle it). */
  private packer: Packer | undefined;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly now: () => number,
    limits: Partial<DedupeLimits> = {},
  ) {
    this.limits = { ...DEFAULT_DEDUPE_LIMITS, ...limits };
    redis.defineCommand('chskClaim', { numberOfKeys: 2, lua: CLAIM });
    redis.defineCommand('chskComplete', { numberOfKeys: 2, lua: COMPLETE });
    redis.defineCommand('chskDedupeEpoch', { numberOfKeys: 1, lua: DEDUPE_EPOCH });
    this.s = redis as unknown as Scripts;
  }

  /** Keeps replies packed by `packer` (the server's, given when the adapter starts) instead of as JSON. */
  usePacker(packer: Packer): void {
    this.packer = packer;
  }

  /** Replaces the bounds (the server's `dedupe` option, given when the adapter starts). */
  setLimits(limits: Partial<DedupeLimits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  /**
   * The record's epoch (`hs.dd`): one meta key `<prefix>dd:epoch`, created once (set when missing, atomically)
   * and never expiring, so every node answers the same and a flushed Redis (the record gone) a new one.
   */
  epoch(): Promise<string> {
    return this.s.chskDedupeEpoch(`${this.prefix}dd:epoch`, newDedupeEpoch());
  }

  async claim(uid: string, clientId: string, mid: number): Promise<DedupeVerdict> {
    const v = await this.s.chskClaim(...this.keys(uid, clientId), String(mid), String(this.now()), String(this.limits.windowMs), String(this.limits.maxEntries));
    if (v === '') return NEW;
    if (v === 'p') return PENDING;
    return { state: 'done', reply: v.length > 1 ? this.decode(v.slice(1)) : undefined };
  }

  async complete(uid: string, clientId: string, mid: number, reply: StoredReply | undefined): Promise<void> {
    await this.s.chskComplete(...this.keys(uid, clientId), String(mid), reply === undefined ? '' : this.encode(reply));
  }

  /** `s` + a text frame, `b` + a binary frame in base64, or `j` + JSON (no packer given). */
  private encode(reply: StoredReply): string {
    if (!this.packer && !isPackedReply(reply)) return `j${JSON.stringify(reply)}`;
    const f = isPackedReply(reply) ? reply : this.packer!.pack(reply);
    return typeof f === 'string' ? `s${f}` : `b${Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64')}`;
  }

  private decode(v: string): StoredReply {
    const body = v.slice(1);
    if (v[0] === 'j') return JSON.parse(body) as StoredReply;
    // A frame kept without a packer to read it (none given yet): the core unpacks it.
    if (!this.packer) return v[0] === 'b' ? new Uint8Array(Buffer.from(body, 'base64')) : body;
    return this.packer.unpack(v[0] === 'b' ? new Uint8Array(Buffer.from(body, 'base64')) : body) as StoredReply;
  }

  private keys(uid: string, clientId: string): [string, string] {
    const k = `${uid}\u0000${clientId}`;
    return [`${this.prefix}d:${k}`, `${this.prefix}dz:${k}`];
  }
}
