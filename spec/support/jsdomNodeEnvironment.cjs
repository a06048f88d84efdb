// jsdom for React tests that also run a real server in the same file: jest-environment-jsdom leaves out Node
// globals that ws, Express and msgpack need (TextEncoder, setImmediate, ...); this puts Node's own back.
// Use with the docblock `@jest-environment ./spec/support/jsdomNodeEnvironment.cjs`.
const { TestEnvironment } = require('jest-environment-jsdom');

class JsdomNodeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super({ ...config, projectConfig: { ...config.projectConfig, testEnvironmentOptions: { ...config.projectConfig.testEnvironmentOptions, customExportConditions: ['node', 'node-addons'] } } }, context);
    for (const name of ['TextEncoder', 'TextDecoder', 'setImmediate', 'clearImmediate', 'structuredClone', 'MessageChannel', 'ReadableStream', 'Blob', 'fetch', 'Request', 'Response', 'Headers', 'AbortController', 'AbortSignal']) {
      if (globalThis[name] !== undefined) this.global[name] = globalThis[name];
    }
  }
}
module.exports = JsdomNodeEnvironment;
