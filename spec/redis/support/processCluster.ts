import { fork, spawn, type ChildProcess } from 'child_process';
import { createServer } from 'net';
import { join } from 'path';
import { Redis } from 'ioredis';
import { BehaviorSubject, Subject, filter, firstValueFrom, timeout } from 'rxjs';
import type { ServerStats } from '../../../src/server/ServerStats';

/** What a node process reports (see clusterNode.cjs). */
export type NodeReport =
  | { type: 'ready'; url: string; nodeId: string }
  | { type: 'uids'; any: string[] }
  | { type: 'port'; id: 'chsk/uidport-open' | 'chsk/uidport-close'; uid: string }
  | { type: 'error'; code: string }
  | { type: 'topicUids'; topic: string; uids: string[] }
  | { type: 'handled'; id: string; data: unknown };

export interface NodeOptions {
  url: string;
  prefix: string;
  nodeId: string;
  heartbeatMs: number;
  nodeTimeoutMs: number;
  graceMs: number;
}

/** A server process of the cluster, driven over IPC. */
export class NodeProcess {
  readonly uids$ = new BehaviorSubject<ReadonlySet<string>>(new Set());
  readonly reports$ = new Subject<NodeReport>();
  private readonly topics = new Map<string, BehaviorSubject<ReadonlySet<string>>>();
  url = '';
  private rid = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(readonly child: ChildProcess, readonly id: string) {
    child.on('message', (m: NodeReport | { rid: number; ok: boolean; value: unknown }) => {
      if ('rid' in m) {
        const p = this.pending.get(m.rid);
        this.pending.delete(m.rid);
        return m.ok ? p?.resolve(m.value) : p?.reject(new Error(String(m.value)));
      }
      if (m.type === 'uids') this.uids$.next(new Set(m.any));
      if (m.type === 'topicUids') this.topicSets(m.topic).next(new Set(m.uids));
      this.reports$.next(m);
    });
    child.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`node ${id} exited`));
      this.pending.clear();
    });
  }

  /** Forks a node and waits until it listens (its adapter subscribed and registered). */
  static async start(lib: string, o: NodeOptions): Promise<NodeProcess> {
    const child = fork(join(__dirname, 'clusterNode.cjs'), [JSON.stringify(o)], {
      env: { ...process.env, CHSK_LIB: lib },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const node = new NodeProcess(child, o.nodeId);
    const ready = await firstValueFrom(
      node.reports$.pipe(
        filter((r): r is Extract<NodeReport, { type: 'ready' }> => r.type === 'ready'),
        timeout(15_000),
      ),
    );
    node.url = ready.url;
    return node;
  }

  private ask<T>(cmd: string, args: object = {}): Promise<T> {
    const rid = ++this.rid;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ rid, cmd, ...args });
    });
  }

  send(uid: string, event: [string, unknown]): Promise<number> {
    return this.ask('send', { uid, event });
  }
  broadcast(event: [string, unknown]): Promise<number> {
    return this.ask('broadcast', { event });
  }
  publish(topic: string, event: [string, unknown]): Promise<number> {
    return this.ask('publish', { topic, event });
  }
  /** The node reports `topicUids$(topic)` from now on (`topicUids` reports). */
  watchTopic(topic: string): Promise<boolean> {
    return this.ask('watchTopic', { topic });
  }
  /** Resolves once the node's last reported `topicUids$(topic)` satisfies `pred` (see `watchTopic`). */
  topicUids(topic: string, pred: (u: ReadonlySet<string>) => boolean, ms = 10_000): Promise<unknown> {
    const seen = this.topicSets(topic);
    return firstValueFrom(seen.pipe(filter(pred), timeout(ms))).catch((e: Error) => {
      throw new Error(`${this.id}: topicUids$(${topic}) is ${JSON.stringify([...seen.value])}: ${e.message}`);
    });
  }
  private topicSets(topic: string): BehaviorSubject<ReadonlySet<string>> {
    let t = this.topics.get(topic);
    if (!t) this.topics.set(topic, (t = new BehaviorSubject<ReadonlySet<string>>(new Set())));
    return t;
  }
  /** Answers every `x/held` request this node holds. */
  release(): Promise<boolean> {
    return this.ask('release');
  }
  stats(): Promise<ServerStats | null> {
    return this.ask('stats');
  }
  /** A clean shutdown (the node leaves the cluster), or SIGKILL when it does not answer in time. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.ask('close').catch(() => undefined);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
  /** SIGKILL: no goodbye, its Redis links die with it. */
  async kill(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A private Redis for tests that restart it (never the shared one): no persistence, so a restart loses every
 * key, as a crashed cache does.
 */
export class PrivateRedis {
  private proc: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on this port and waits until it answers PING. */
  async up(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const c = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      try {
        await c.connect();
        if ((await c.ping()) === 'PONG') return;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
        await new Promise((r) => setTimeout(r, 50)); // polling for a process to listen: a condition, retried
      } finally {
        c.disconnect();
      }
    }
  }

  /** SHUTDOWN NOSAVE, and waits for the process to exit. */
  async down(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    const c = new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    await c.call('SHUTDOWN', 'NOSAVE').catch(() => undefined); // the connection drops as it answers
    c.disconnect();
    await exited;
  }
}
