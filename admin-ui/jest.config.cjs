// Unit tests of the admin console: jsdom, zoneless Angular, compiled to CommonJS by
// jest-preset-angular. The root config runs jest with --experimental-vm-modules, so
// this project states its module handling explicitly instead of relying on defaults.
const { createCjsPreset } = require('jest-preset-angular/presets');

/** @type {import('jest').Config} */
module.exports = {
  ...createCjsPreset({ tsconfig: '<rootDir>/tsconfig.spec.json' }),
  displayName: 'admin-ui',
  rootDir: __dirname,
  testEnvironment: 'jest-preset-angular/environments/jest-jsdom-env',
  setupFilesAfterEnv: ['<rootDir>/src/setup-jest.ts'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
