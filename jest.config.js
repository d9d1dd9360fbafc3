// One jest run for the whole repository. Backend suites (services, gateway, emulators)
// run as native ES modules compiled by swc; the Angular apps bring their own presets.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2023', keepClassNames: true },
    module: { type: 'es6' },
  },
];

const backend = {
  displayName: 'backend',
  testEnvironment: 'node',
  rootDir: '.',
  testMatch: [
    '<rootDir>/services/*/test/**/*.test.ts',
    '<rootDir>/gateway/test/**/*.test.ts',
    '<rootDir>/e2e/**/*.test.ts',
  ],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  globalSetup: '<rootDir>/services/testkit/src/global-setup.ts',
  globalTeardown: '<rootDir>/services/testkit/src/global-teardown.ts',
};

const projects = [backend];
for (const app of ['admin-ui', 'customer-ui']) {
  try {
    await import('node:fs').then((fs) => fs.accessSync(`./${app}/jest.config.cjs`));
    projects.push(`<rootDir>/${app}/jest.config.cjs`);
  } catch {
    // The app has no unit tests configured yet.
  }
}

// Integration suites start real processes; jest reads testTimeout only at the top level.
export default { projects, testTimeout: 60_000 };
