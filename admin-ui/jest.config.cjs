// Unit tests of the admin console: jsdom, zoneless Angular, jest-preset-angular.
// The root jest runs every project under `node --experimental-vm-modules`, and with that flag
// jest loads Angular's `.mjs` bundles as ES modules, which the CommonJS preset cannot require
// (it only seemed to work with a warm transform cache). So the specs run as native ES modules
// (the ESM preset) and take `jest` from `@jest/globals`.
const { createEsmPreset } = require('jest-preset-angular/presets');

/** @type {import('jest').Config} */
module.exports = {
  ...createEsmPreset({ tsconfig: '<rootDir>/tsconfig.spec.json' }),
  displayName: 'admin-ui',
  rootDir: __dirname,
  testEnvironment: 'jest-preset-angular/environments/jest-jsdom-env',
  setupFilesAfterEnv: ['<rootDir>/src/setup-jest.ts'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
