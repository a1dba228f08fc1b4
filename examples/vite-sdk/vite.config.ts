// `npx vite --config examples/vite-sdk/vite.config.ts` (dev) or `npx vite build --config …`.
// In a project that installed consult-kit from npm, drop the alias: `consult-kit` resolves to the
// package. Here it points at the repository's source so the example needs no publish.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The token server the dev and preview servers proxy `/api` to. */
const tokenServer = process.env['CONSULT_KIT_TOKEN_SERVER'] ?? 'http://localhost:3000';
const proxy = { '/api': { target: tokenServer } };

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: [
      {
        find: /^consult-kit$/,
        replacement: fileURLToPath(new URL('../../src/index.ts', import.meta.url)),
      },
    ],
  },
  server: { proxy },
  preview: { proxy },
  build: { target: 'es2022' },
});
