import { ConfigError } from '../../src/errors/ConfigError';
import { resolveServerOptions, type ServerOptions } from '../../src/server/serverOptions';

describe('resolveServerOptions: limits', () => {
  it('has safe defaults', () => {
    const o = resolveServerOptions({});
    expect(o).toMatchObject({
      maxFrameBytes: 1_048_576,
      maxBatchSize: 1000,
      maxPendingRequests: 1000,
      maxDepth: 64,
      rateLimit: { perSecond: 200, burst: 400, closeAfter: 1000 },
      maxProtocolErrors: 100,
      handshakeTimeoutMs: 10_000,
      maxConnectionsPerUid: Infinity,
    });
  });

  it('fills a partial rateLimit and accepts false', () => {
    expect(resolveServerOptions({ rateLimit: { perSecond: 5, burst: 10 } }).rateLimit).toEqual({ perSecond: 5, burst: 10, closeAfter: 1000 });
    expect(resolveServerOptions({ rateLimit: false }).rateLimit).toBe(false);
  });

  it.each<[string, ServerOptions]>([
    ['rateLimit.perSecond 0', { rateLimit: { perSecond: 0, burst: 1 } }],
    ['rateLimit.burst 1.5', { rateLimit: { perSecond: 1, burst: 1.5 } }],
    ['rateLimit.closeAfter -1', { rateLimit: { perSecond: 1, burst: 1, closeAfter: -1 } }],
    ['rateLimit true', { rateLimit: true as never }],
    ['rateLimit null', { rateLimit: null as never }],
    ['maxDepth 0', { maxDepth: 0 }],
    ['maxProtocolErrors 2.5', { maxProtocolErrors: 2.5 }],
    ['handshakeTimeoutMs NaN', { handshakeTimeoutMs: NaN }],
    ['maxConnectionsPerUid 0', { maxConnectionsPerUid: 0 }],
    ['maxConnectionsPerUid -Infinity', { maxConnectionsPerUid: -Infinity }],
  ])('throws ConfigError naming the option for %s', (name, o) => {
    expect(() => resolveServerOptions(o)).toThrow(ConfigError);
    expect(() => resolveServerOptions(o)).toThrow(name.split(' ')[0]!.split('.')[0]);
  });
});

describe('resolveServerOptions: resume', () => {
  it('defaults to the replay bounds, fills a partial one and accepts false', () => {
    expect(resolveServerOptions({}).resume).toEqual({ maxEntries: 1000, maxBytes: 1_048_576, maxAgeMs: 120_000 });
    expect(resolveServerOptions({ resume: { maxEntries: 5 } }).resume).toEqual({ maxEntries: 5, maxBytes: 1_048_576, maxAgeMs: 120_000 });
    expect(resolveServerOptions({ resume: false }).resume).toBe(false);
  });

  it.each<[string, ServerOptions]>([
    ['resume true', { resume: true as never }],
    ['resume null', { resume: null as never }],
    ['resume an array', { resume: [] as never }],
    ['resume.maxEntries 0', { resume: { maxEntries: 0 } }],
    ['resume.maxEntries 1.5', { resume: { maxEntries: 1.5 } }],
    ['resume.maxBytes -1', { resume: { maxBytes: -1 } }],
    ['resume.maxBytes Infinity', { resume: { maxBytes: Infinity } }],
    ['resume.maxAgeMs 0', { resume: { maxAgeMs: 0 } }],
    ['resume.maxAgeMs 2^31', { resume: { maxAgeMs: 2 ** 31 } }],
    ['resume.maxAgeMs a string', { resume: { maxAgeMs: '5' as never } }],
  ])('throws ConfigError naming the option for %s', (name, o) => {
    expect(() => resolveServerOptions(o)).toThrow(ConfigError);
    expect(() => resolveServerOptions(o)).toThrow(name.split(' ')[0]!);
  });
});
