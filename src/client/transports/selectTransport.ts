import { jsonPacker } from '../../packers/jsonPacker';
import { asyncScheduler } from 'rxjs';
import { check, type ClientOptions } from '../clientOptions';
import { isTimerMs } from '../../protocol/durationMs';
import type { ClientTransport } from '../ClientTransport';
import { ajaxTransport, resolveFetch } from './ajaxTransport';
import { autoTransport } from './autoTransport';
import { resolveWebSocket, webSocketTransport } from './webSocketTransport';

/** The transport options of `createChannelSocketClient`, with their defaults. */
export interface ResolvedTransportOptions {
  type: 'auto' | 'ws' | 'ajax';
  connectTimeoutMs: number;
  upgradeIntervalMs: number | false;
  ajaxTimeoutMs: number;
}

const positiveMs = isTimerMs;

/** Validates and defaults `type`, `connectTimeoutMs`, `upgradeIntervalMs`, `ajaxTimeoutMs` and `fetch`. */
export function resolveTransportOptions(o: ClientOptions): ResolvedTransportOptions {
  const type = o.type ?? 'auto';
  const connectTimeoutMs = o.connectTimeoutMs ?? 5000;
  const upgradeIntervalMs = o.upgradeIntervalMs ?? 30_000;
  const ajaxTimeoutMs = o.ajaxTimeoutMs ?? 60_000;
  check('type', type === 'auto' || type === 'ws' || type === 'ajax', `must be 'auto', 'ws' or 'ajax', got ${String(o.type)}`);
  check('connectTimeoutMs', positiveMs(connectTimeoutMs), 'must be a number of ms in (0, 2^31-1]');
  check('upgradeIntervalMs', upgradeIntervalMs === false || positiveMs(upgradeIntervalMs), 'must be a number of ms in (0, 2^31-1] or false');
  check('ajaxTimeoutMs', positiveMs(ajaxTimeoutMs), 'must be a number of ms in (0, 2^31-1]');
  check('fetch', o.fetch === undefined || typeof o.fetch === 'function', 'must be a fetch function');
  return { type, connectTimeoutMs, upgradeIntervalMs, ajaxTimeoutMs };
}

/** The transport for `type`: WebSocket, Ajax, or `auto` (WebSocket, falling back to Ajax and back). */
export function selectTransport(options: ClientOptions, t: ResolvedTransportOptions): ClientTransport {
  const scheduler = options.scheduler ?? asyncScheduler;
  if (t.type === 'ws') return webSocketTransport(resolveWebSocket(options.WebSocket), { timeoutMs: t.connectTimeoutMs, scheduler });
  const base = {
    fetch: resolveFetch(options.fetch),
    packer: options.packer ?? jsonPacker,
    scheduler,
    connectTimeoutMs: t.connectTimeoutMs,
    requestTimeoutMs: t.ajaxTimeoutMs,
  };
  if (t.type === 'ajax') return ajaxTransport(base);
  // 'auto' wants a WebSocket too: on Node a forgotten `WebSocket` option would otherwise degrade silently to
  // long-polling. Pass `type: 'ajax'` to run on Ajax alone.
  const WS = resolveWebSocket(options.WebSocket);
  const upgrade = t.upgradeIntervalMs === false ? undefined : { WebSocket: WS, intervalMs: t.upgradeIntervalMs };
  return autoTransport({
    ws: webSocketTransport(WS),
    ajax: ajaxTransport({ ...base, upgrade }),
    scheduler,
    connectTimeoutMs: t.connectTimeoutMs,
  });
}
