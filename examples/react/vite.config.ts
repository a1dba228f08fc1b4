// `npx vite --config examples/react/vite.config.ts` (dev) or `npx vite build --config …`.
// No React plugin: Vite's built-in Oxc transform compiles JSX with the automatic runtime (no Fast
// Refresh; add @vitejs/plugin-react for that). With consult-kit from npm, drop the aliases and the
// side-effects plugin.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const source = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));
/** The token server the dev and preview servers proxy `/api` to. */
const tokenServer = process.env['CONSULT_KIT_TOKEN_SERVER'] ?? 'http://localhost:3000';
const proxy = { '/api': { target: tokenServer } };

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: [
      { find: /^consult-kit$/, replacement: source('src/index.ts') },
      { find: /^consult-kit\/components$/, replacement: source('components/index.ts') },
    ],
  },
  oxc: { jsx: { runtime: 'automatic' } },
  plugins: [
    {
      // The repository's package.json lists only dist/ files under "sideEffects", so importing the
      // element sources would be tree-shaken away and <consult-room> never registered. The
      // published package's dist/components/index.js is listed and needs no help.
      name: 'consult-kit-source-registers-elements',
      transform(code, id) {
        return /\/components\/(index|consult-[a-z-]+)\.ts$/.test(id)
          ? { code, map: null, moduleSideEffects: true }
          : null;
      },
    },
  ],
  server: { proxy },
  preview: { proxy },
  build: { target: 'es2022' },
});
