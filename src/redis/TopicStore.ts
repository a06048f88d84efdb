import type { Redis } from 'ioredis';
import { TOPIC_LISTED, TOPIC_SWEEP } from './topicScripts';

interface Scripts {
  chskTopicListed(tm: string, tn: string, tnodes: string, node: string, uid: string, topic: string, on: string, cmd: string, ch: string): Promise<[number, number]>;
  chskTopicSweep(tnodes: string, prefix: string, node: string, ttlMs: string, cmd: string, leaving?: string): Promise<[number, number]>;
}

/**
 * Where the Redis topic registry keeps things: the keys and channels of a topic under the prefix, and the calls
 * of its Lua scripts (see `topicScripts.ts`). Commands go on the adapter's command connection.
 */
export class TopicStore {
  private readonly s: Scripts;
  /** SPUBLISH/SSUBSCRIBE (Redis ≥ 7) or plain pub/sub; undefined until known. */
  sharded: boolean | undefined;

  constructor(
    readonly cmd: Redis,
    private readonly p: string,
    private readonly node: string,
    private readonly nodeTimeoutMs: number,
  ) {
    cmd.defineCommand('chskTopicListed', { numberOfKeys: 3, lua: TOPIC_LISTED });
    cmd.defineCommand('chskTopicSweep', { numberOfKeys: 1, lua: TOPIC_SWEEP });
    this.s = cmd as unknown as Scripts;
  }

  /** A topic's event channel (`t`) or presence channel (`tp`). */
  channel(kind: 't' | 'tp', topic: string): string {
    return `${this.p}${kind}:${topic}`;
  }

  /** The channel's topic, and which channel it is; undefined for a channel that is not a topic's. */
  topicOf(ch: string): { kind: 't' | 'tp'; topic: string } | undefined {
    if (!ch.startsWith(this.p)) return undefined;
    const rest = ch.slice(this.p.length);
    if (rest.startsWith('tp:')) return { kind: 'tp', topic: rest.slice(3) };
    if (rest.startsWith('t:')) return { kind: 't', topic: rest.slice(2) };
    return undefined;
  }

  /** Decides the pub/sub flavour: `'auto'` asks the server's version. */
  async detect(want: boolean | 'auto'): Promise<void> {
    if (this.sharded !== undefined) return;
    this.sharded = want === 'auto' ? Number(/redis_version:(\d+)/.exec(await this.cmd.info('server'))?.[1] ?? 0) >= 7 : want;
  }

  publish(ch: string, payload: Buffer): Promise<unknown> {
    return this.sharded ? this.cmd.spublish(ch, payload) : this.cmd.publish(ch, payload);
  }

  subscribe(sub: Redis, ch: string): Promise<unknown> {
    return this.sharded ? sub.ssubscribe(ch) : sub.subscribe(ch);
  }

  unsubscribe(sub: Redis, ch: string): Promise<unknown> {
    return this.sharded ? sub.sunsubscribe(ch) : sub.unsubscribe(ch);
  }

  /** Writes this node's membership of `uid` in `topic`; answers {changed, whether this node is still listed}. */
  listed(topic: string, uid: string, on: boolean): Promise<[number, number]> {
    return this.s.chskTopicListed(this.key(`tm:${topic}`), this.key(`tn:${this.node}`), this.key('tnodes'), this.node, uid, topic, on ? '1' : '0', this.pubCommand(), this.channel('tp', topic));
  }

  /** This node's memberships as Redis has them (`<topic>\n<uid>`). */
  mine(): Promise<string[]> {
    return this.cmd.smembers(this.key(`tn:${this.node}`));
  }

  /** The fields of a topic's presence hash (`<node>\n<uid>`). */
  members(topic: string): Promise<string[]> {
    return this.cmd.hkeys(this.key(`tm:${topic}`));
  }

  /** Heartbeat and sweep of dead nodes; answers {1 if this node was not listed before, nodes forgotten}. */
  beat(): Promise<[number, number]> {
    return this.s.chskTopicSweep(this.key('tnodes'), this.p, this.node, String(this.nodeTimeoutMs), this.pubCommand());
  }

  /** This node leaves: its memberships go (and are published). */
  leave(): Promise<[number, number]> {
    return this.s.chskTopicSweep(this.key('tnodes'), this.p, '', String(this.nodeTimeoutMs), this.pubCommand(), this.node);
  }

  private pubCommand(): 'SPUBLISH' | 'PUBLISH' {
    return this.sharded ? 'SPUBLISH' : 'PUBLISH';
  }

  private key(k: string): string {
    return `${this.p}${k}`;
  }
}
