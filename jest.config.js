// Three jest projects a reader can tell apart from the paths:
//   unit        test/unit/**         (mirrors src/**)
//   integration test/integration/**  (drives the service over real HTTP against the local org emulator)
//   lwc         force-app/**/lwc/**/__tests__/** (Lightning Web Components, @salesforce/sfdx-lwc-jest)
const { jestConfig: lwcJestConfig } = require('@salesforce/sfdx-lwc-jest/config');

// TypeScript and the ESM-only packages we depend on (jose) are compiled to CommonJS by swc.
const node = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  projects: [
    { ...node, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...node,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      ...lwcJestConfig,
      displayName: 'lwc',
      rootDir: __dirname,
      testMatch: ['<rootDir>/force-app/**/lwc/**/__tests__/**/*.test.js'],
    },
  ],
};
