export { createTestServer, type TestServer, type TestServerOptions, type TestClientOptions } from './createTestServer';
export { FakeNetwork, type LinkControl, type LinkMode, type FakeIdentity } from './FakeNetwork';
