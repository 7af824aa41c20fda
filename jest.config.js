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
const transformIgnorePatterns = ['/node_modules/(?!(@nestjs|file-type|strtok3|token-types|@tokenizer|uint8array-extras|@borewit)/)'];

const tier = (displayName, testMatch, extra = {}) => ({
  displayName,
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch,
  moduleNameMapper,
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swc] },
  transformIgnorePatterns,
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/.halm/'],
  ...extra,
});

module.exports = {
  projects: [
    tier('unit', ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'], {
      testPathIgnorePatterns: ['\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$', '/node_modules/'],
    }),
    tier('integration', ['<rootDir>/{apps,libs,tools}/**/*.int.spec.ts'], { testTimeout: 30_000 }),
    tier('e2e', ['<rootDir>/e2e/**/*.e2e.spec.ts'], { testTimeout: 60_000 }),
  ],
};
