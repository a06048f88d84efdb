// Synchronous check that Redis answers on 127.0.0.1:6379 (used by jest.config.js to decide whether the
// `redis` project runs): with CI=true a missing Redis fails the run loudly; elsewhere the project is skipped
// with a printed notice.
const { spawnSync } = require('child_process');

const probe = `
const s = require('net').connect(6379, '127.0.0.1');
s.setTimeout(1000, () => process.exit(1));
s.on('connect', () => s.write('PING\\r\\n'));
s.on('data', (d) => process.exit(String(d).startsWith('+PONG') ? 0 : 1));
s.on('error', () => process.exit(1));`;

module.exports = function redisAvailable() {
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
};
