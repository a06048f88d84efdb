const redisAvailable = require('./spec/support/redisAvailable');

const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // Angular's packages are ES modules only: see spec/support/esmTransform.cjs.
    '^.+\\.mjs$': '<rootDir>/spec/support/esmTransform.cjs',
  },
  transformIgnorePatterns: ['/node_modules/(?!@angular/)'],
  // The Angular example has its own node_modules (Angular CLI): not ours to crawl; the browser test runs it.
  modulePathIgnorePatterns: ['<rootDir>/examples/angular-chat/'],
  // Examples import the package by name (as users do); tests run them against the sources.
  moduleNameMapper: {
    '^sente-rx$': '<rootDir>/src/index.ts',
    '^sente-rx/(client|server|testing|react|angular|redis)$': '<rootDir>/src/$1/index.ts',
    '^sente-rx/msgpack$': '<rootDir>/src/packers/msgpack.ts',
  },
};

// The server suites that run a second time with every server on the Redis adapter (the harness picks the
// adapter from CHSK_ADAPTER), plus the Redis-only suites (several nodes, faults).
// resume: full recovery asserted where the adapter assigns offsets (TestServer.resumable), else that every gap is
// announced (recovered: false).
const onRedis = ['adapter', 'core', 'ajax', 'transports', 'smoke', 'topics', 'dedupe', 'outbox', 'topicResume', 'resume'].map((s) => `<rootDir>/spec/integration/${s}.spec.ts`);
const redisOnly = '<rootDir>/spec/redis/**/*.spec.ts';

const projects = [{ ...base, displayName: 'memory', testMatch: ['<rootDir>/spec/**/*.spec.ts'], testPathIgnorePatterns: ['/spec/redis/'] }];
if (redisAvailable()) {
  projects.push({ ...base, displayName: 'redis', testMatch: [...onRedis, redisOnly], setupFiles: ['<rootDir>/spec/support/useRedisAdapter.js'] });
} else if (process.env.CI === 'true') {
  throw new Error('CI=true and Redis does not answer on 127.0.0.1:6379: the Redis suites cannot run (start redis-server; see README, Development)');
} else {
  process.stderr.write('NOTICE: Redis does not answer on 127.0.0.1:6379: the Redis adapter suites are skipped (CI runs them).\n');
}

// forceExit: with the two projects, jest's own process (not a test worker) has twice been seen hanging after
// writing its results: stuck in Node's exit-time handle cleanup (gdb: node::Environment::CleanupHandles looping
// uv_run, no JS on the stack, no test left running), so CI waited until its limit. Every suite closes what it
// opens (servers, clients, Redis connections); this only makes the runner exit once the results are out.
module.exports = { projects, forceExit: true };
