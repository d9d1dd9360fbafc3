// Unit tests of the customer app: jest-preset-angular on jsdom, zoneless.
// The root jest runs every project under `node --experimental-vm-modules`, and with that flag
// jest always loads Angular's `.mjs` bundles as ES modules, which the CommonJS preset cannot
// require. So the specs run as native ES modules too (jest-preset-angular's ESM preset) and
// import `jest`, `describe`, `expect` from `@jest/globals`. `npm test -w customer-ui` passes the
// same flag.
const { createEsmPreset } = require('jest-preset-angular/presets');

/** @type {import('jest').Config} */
module.exports = {
  ...createEsmPreset({ tsconfig: '<rootDir>/tsconfig.spec.json' }),
  displayName: 'customer-ui',
  rootDir: __dirname,
  testEnvironment: 'jest-preset-angular/environments/jest-jsdom-env',
  setupFilesAfterEnv: ['<rootDir>/jest.setup.ts'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
