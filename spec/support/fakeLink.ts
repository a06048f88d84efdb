import type { Frame, Packer } from '../../src/packers/Packer';
import { jsonPacker } from '../../src/packers/jsonPacker';
import type { ChskRequest } from '../../src/protocol/events';
import type { ServerMessage } from '../../src/protocol/messages';
import type { ConnectionHandle, ServerConnection } from '../../src/server/ServerConnection';
import { ServerCore } from '../../src/server/ServerCore';
import { resolveServerOptions, type ServerOptions } from '../../src/server/serverOptions';

/** A ServerConnection that records what the core writes and how it closes the connection. */
export class FakeLink implements ServerConnection {
  readonly transport = 'ws' as const;
  readonly frames: Frame[] = [];
  closedWith: { code: number; reason: string } | undefined;
  send(frame: Frame): void {
    this.frames.push(frame);
  }
  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }
  /** The frames written so far, unpacked. */
  messages(packer: Packer = jsonPacker): ServerMessage[] {
    return this.frames.map((f) => packer.unpack(f) as ServerMessage);
  }
}

/** A core with one open fake connection (uid 'u1'), no network. */
export function openFake(options: ServerOptions = {}): { core: ServerCore; link: FakeLink; handle: ConnectionHandle } {
  // Keep-alive pings and push batching are timers of their own; tests of other rules opt into them.
  const core = new ServerCore(resolveServerOptions({ keepAlive: false, wsBatchMs: 0, ajaxBatchMs: 0, ...options }));
  const link = new FakeLink();
  const handle = core.open(link, { uid: 'u1', clientId: 'c1', req: { headers: {}, url: '/chsk' } as unknown as ChskRequest });
  return { core, link, handle };
}
