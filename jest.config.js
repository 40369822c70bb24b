/** Jest transforms TypeScript with SWC (fast, no type-check); `npm test` runs `tsc --noEmit` first. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/tests/helpers/global-setup.ts',
  testTimeout: 30000,
  // Integration and browser suites each start servers and Chromium: two at a time fits a 2-core machine.
  maxWorkers: 2,
};
