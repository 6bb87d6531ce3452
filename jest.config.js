// Workflow code is bundled by the Temporal SDK's own webpack, never by Jest: Jest only
// transforms tests and activity code (swc: fast, no type-check; `tsc --noEmit` does that).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(ts|js)$': ['@swc/jest'] },
  // openid-client, oidc-provider and their jose/oauth4webapi are ES modules only: compiled
  // to CommonJS like our own code, since Node 20's Jest cannot require them.
  transformIgnorePatterns: ['/node_modules/(?!(openid-client|oauth4webapi|jose|oidc-provider)/)'],
  // One test file at a time: time skipping is global per test server, and the
  // real servers share the machine's two cores.
  maxWorkers: 1,
  // Those files run in turn in one child process (this setting makes Jest use one), which
  // is replaced by a fresh one when a file leaves its heap past the limit: a single process
  // for them all reached 1.3 GB over the workflow tests, and later files ran up to twice as slow.
  workerIdleMemoryLimit: '800MB',
  setupFiles: ['<rootDir>/test/harness/setup.ts'],
  testTimeout: 60_000,
};
