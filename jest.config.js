/** Jest transforms TypeScript with SWC (fast, no type-check); `npm test` runs `tsc --noEmit` first. */

// openid-client and its two dependencies ship only ES modules. Node 20 loads them from the built
// server (require of an ES module), but Jest's own module system cannot (it would need Node 24.9+),
// so SWC compiles these three to CommonJS here, and every other package is left as it is.
const ESM_ONLY = ['openid-client', 'oauth4webapi', 'jose'];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  globalSetup: '<rootDir>/tests/helpers/global-setup.ts',
  // Real Chromium, Redis and servers on two cores: a case that takes 5 s alone can take 30 s under the whole suite.
  testTimeout: 60000,
  // Integration and browser suites each start servers and Chromium: two at a time fits a 2-core machine.
  maxWorkers: 2,
};
