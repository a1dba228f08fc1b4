// Builds the portal page into ./dist, which server.ts serves:
//   npx vite build --config examples/express-mount/vite.config.ts
// In a project that installed consult-kit from npm, drop the alias.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./client', import.meta.url)),
  resolve: {
    alias: [
      {
        find: /^consult-kit$/,
        replacement: fileURLToPath(new URL('../../src/index.ts', import.meta.url)),
      },
    ],
  },
  build: {
    target: 'es2022',
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
  },
});
