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
);
