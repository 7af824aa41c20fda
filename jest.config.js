// Three tiers, one config: unit tests are pure and fast, integration tests talk to the real
// NATS and PostgreSQL, e2e tests drive the built services as separate processes.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const moduleNameMapper = { '^@halm/(.*)$': '<rootDir>/libs/$1/src/index.ts' };

// NestJS 12 ships as ES modules; jest's module system needs them as CommonJS.
const transformIgnorePatterns = ['/node_modules/(?!(@nestjs|@marcbachmann|file-type|strtok3|token-types|@tokenizer|uint8array-extras|@borewit)/)'];

const tier = (displayName, testMatch, extra = {}) => ({
  displayName,
  rootDir: __dirname,
  testEnvironment: 'node',
  // TypeORM keeps its decorator metadata on a global that must outlive each test file.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  setupFiles: ['reflect-metadata'],
  testMatch,
  moduleNameMapper,
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swc] },
  transformIgnorePatterns,
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/.halm/'],
  ...extra,
});

module.exports = {
  // A per-project testTimeout is ignored by jest; integration and e2e tests start real servers.
  testTimeout: 60_000,
  projects: [
    tier('unit', ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'], {
      testPathIgnorePatterns: ['\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$', '/node_modules/'],
    }),
    tier('integration', ['<rootDir>/{apps,libs,tools}/**/*.int.spec.ts']),
    tier('e2e', ['<rootDir>/e2e/**/*.e2e.spec.ts']),
  ],
};
