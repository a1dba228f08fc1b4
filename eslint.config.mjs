// ESLint flat config. The one rule that matters most here is the boundary: the SDK in src/ is
// framework-agnostic and DOM-free, so portals can drive it from any framework and import it during SSR.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const sdkBoundary = {
  files: ['src/**/*.ts'],
  ignores: ['src/**/*.test.ts', 'src/**/*.browser.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: ['lit', 'lit/*', '@lit/*'],
            message: 'src/ is the framework-agnostic SDK: no Lit.',
          },
          {
            group: ['**/components/**', '**/server/**'],
            message: 'src/ must not import components/ or server/.',
          },
        ],
      },
    ],
    'no-restricted-globals': [
      'error',
      { name: 'document', message: 'src/ builds no DOM: inject what you need.' },
      { name: 'customElements', message: 'src/ registers no elements.' },
      {
        name: 'window',
        message: 'src/ must import under SSR: use globalThis through an injected platform.',
      },
    ],
    'no-console': 'error',
  },
};

// Test code: unit, browser and end-to-end tests, type tests, and the helpers only tests import.
const TEST_FILES = [
  '**/*.test.ts',
  '**/*.test-d.ts',
  '**/test-support.ts',
  '**/test-deployment.ts',
  '**/test-pg.ts',
  'components/test-utils/**',
  'test/**',
];

const noServer = {
  group: ['**/server/**'],
  message: 'The browser code (components/, stories/) must not import server/.',
};

// The elements are one consumer of the SDK: they reach it through its public entry point only, so
// everything they need is exported (and documented) there. Tests and stories may also use the
// development-only "./testing" entry (docs/contributing.md#boundaries).
const componentBoundary = {
  files: ['components/**/*.ts', 'stories/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: '(^|/)src/(?!(index|testing/index)\\.js$)',
            message:
              'Tests and stories import the SDK only from src/index.ts and src/testing/index.ts.',
          },
          noServer,
        ],
      },
    ],
  },
};
const componentSourceBoundary = {
  files: ['components/**/*.ts'],
  ignores: TEST_FILES,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: '(^|/)src/(?!index\\.js$)',
            message:
              'components/ import the SDK only from src/index.ts (export what an element needs there, tagged @internal if it is not public).',
          },
          noServer,
        ],
      },
    ],
  },
};

// The token server and the dev media server are separate products that talk HTTP: neither imports
// the other; code both need lives in server/shared/, which imports neither. Tests may start the
// other server (the token server's tests run against a real dev media server).
const serverBoundary = (dir, others) => ({
  files: [`server/${dir}/**/*.ts`],
  ignores: TEST_FILES,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: others.map((other) => `**/${other}/**`),
            message: `server/${dir}/ must not import ${others.join(' or ')}: move shared code to server/shared/.`,
          },
          { group: ['**/components/**'], message: 'server/ must not import components/.' },
        ],
      },
    ],
  },
});

// Long functions are a sign to split along entities (docs/contributing.md). Tests, where one
// describe() holds many cases, and benchmarks, each one scripted scenario read top to bottom, are
// exempt.
const functionSize = {
  files: ['src/**', 'components/**', 'server/**', 'scripts/**', 'bin/**', 'stories/**'],
  ignores: TEST_FILES,
  rules: {
    'max-lines-per-function': [
      'error',
      { max: 150, skipBlankLines: true, skipComments: true, IIFEs: true },
    ],
  },
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'vendor/**',
      'docs/**',
      'storybook-static/**',
      'coverage/**',
      '.test-results/**',
      'public/mockServiceWorker.js',
      'examples/**/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Three programs: tsconfig.json (browser: src/, components/, stories/), tsconfig.server.json
    // (Node: server/, tests run by node:test, e2e, bench) and examples/tsconfig.json (the examples,
    // type-checked by test/e2e/examples.e2e.test.ts). Each file is linted with the one that
    // includes it.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.json', './tsconfig.server.json', './examples/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', 'server/**/*.ts', 'scripts/**', 'bench/**', 'test/e2e/**'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['components/**/*.ts', 'stories/**/*.ts', 'test/browser/**', 'examples/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  sdkBoundary,
  componentBoundary,
  componentSourceBoundary,
  serverBoundary('token-server', ['dev-media-server']),
  serverBoundary('dev-media-server', ['token-server']),
  serverBoundary('shared', ['token-server', 'dev-media-server']),
  functionSize,
);
