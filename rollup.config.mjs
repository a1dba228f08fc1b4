// Builds (see docs/architecture.md#builds):
//  1. npm: unbundled ESM (preserveModules) for the SDK, `./testing`, `./components` and `./server`;
//     dependencies external. Type declarations come from `tsc -p tsconfig.build.json`.
//  2. CDN: one ESM entry with Lit, the SDK and the elements for `<script type="module">`;
//     openvidu-browser and non-default languages are split into chunks loaded on demand.
//  3. IIFE: the same for portals that cannot load modules, everything inlined.
//  4. size probes (dist/size/): what the size budgets measure.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import resolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import json from '@rollup/plugin-json';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';

const hasComponents = existsSync('components/index.ts');
const hasServer = existsSync('server/index.ts');

const onwarn = (warning, warn) => {
  // openvidu-browser has harmless internal cycles (Publisher↔Session↔StreamEvent, kurento-jsonrpc).
  if (
    warning.code === 'CIRCULAR_DEPENDENCY' &&
    /node_modules/.test(warning.ids?.join() ?? warning.message)
  )
    return;
  if (warning.code === 'THIS_IS_UNDEFINED' && /node_modules/.test(warning.id ?? '')) return;
  warn(warning);
};

// See build/shims/mime.js.
const shimMime = {
  name: 'consult-shim-mime',
  resolveId(source) {
    return source === 'mime' ? new URL('./build/shims/mime.js', import.meta.url).pathname : null;
  },
};

const browserPlugins = ({ dev = false, minify = false, bundledLanguages = true } = {}) => [
  replace({
    preventAssignment: true,
    values: {
      __DEV__: JSON.stringify(dev),
      __CONSULT_BUNDLED_LANGUAGES__: JSON.stringify(bundledLanguages),
      // The IIFE loads livekit-client from `livekit-client.js` next to itself (built below).
      __CONSULT_LIVEKIT_FROM_SCRIPT_DIR__: JSON.stringify(!bundledLanguages),
    },
  }),
  shimMime,
  resolve({ browser: true, preferBuiltins: false, extensions: ['.ts', '.js', '.mjs', '.json'] }),
  json({ preferConst: true, compact: true }),
  commonjs(),
  esbuild({ target: 'es2021', tsconfig: './tsconfig.json', minify: false }),
  ...(minify
    ? [terser({ module: true, ecma: 2020, compress: { passes: 3 }, format: { comments: false } })]
    : []),
];

const npmExternal = (id) =>
  /^(lit|@lit\/|openvidu-browser|livekit-client|@microsoft\/fetch-event-source)/.test(id);
const nodeExternal = (id) =>
  !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !/^[A-Za-z]:/.test(id);

const npmInputs = {
  index: 'src/index.ts',
  'testing/index': 'src/testing/index.ts',
  ...(hasComponents
    ? {
        'components/index': 'components/index.ts',
        'components/consult-room': 'components/consult-room.ts',
        'components/consult-chat': 'components/consult-chat.ts',
        'components/consult-prejoin': 'components/consult-prejoin.ts',
        'components/consult-tile': 'components/consult-tile.ts',
        'components/consult-precheck': 'components/consult-precheck.ts',
        'components/consult-queue': 'components/consult-queue.ts',
        'components/consult-queue/consult-queue.component':
          'components/consult-queue/consult-queue.component.ts',
        'components/consult-room/consult-room.component':
          'components/consult-room/consult-room.component.ts',
        'components/consult-chat/consult-chat.component':
          'components/consult-chat/consult-chat.component.ts',
        'components/consult-prejoin/consult-prejoin.component':
          'components/consult-prejoin/consult-prejoin.component.ts',
        'components/consult-tile/consult-tile.component':
          'components/consult-tile/consult-tile.component.ts',
        'components/consult-precheck/consult-precheck.component':
          'components/consult-precheck/consult-precheck.component.ts',
      }
    : {}),
};

const clean = {
  name: 'consult-clean-dist',
  buildStart() {
    rmSync('dist', { recursive: true, force: true });
  },
};

// `consult-kit/themes/*.css`: the optional theme files, copied as they are.
const themes = {
  name: 'consult-themes',
  generateBundle() {
    if (!existsSync('components/themes')) return;
    for (const file of readdirSync('components/themes').filter((f) => f.endsWith('.css'))) {
      this.emitFile({
        type: 'asset',
        fileName: `themes/${file}`,
        source: readFileSync(`components/themes/${file}`, 'utf8'),
      });
    }
  },
};

const builds = [
  {
    input: npmInputs,
    external: npmExternal,
    output: {
      dir: 'dist',
      format: 'es',
      preserveModules: true,
      preserveModulesRoot: '.',
      entryFileNames: (chunk) => chunk.name.replace(/^src\//, '') + '.js',
      sourcemap: true,
    },
    plugins: [clean, themes, ...browserPlugins()],
    onwarn,
  },
  // Size probe: the SDK as an app would bundle it, without openvidu-browser and livekit-client
  // (chunks of their own); the LiveKit adapter is `backends/livekit.js` there.
  {
    input: 'src/index.ts',
    external: (id) => /^(openvidu-browser|livekit-client)/.test(id),
    output: {
      dir: 'dist/size/sdk',
      format: 'es',
      chunkFileNames: '[name].js',
      entryFileNames: 'sdk.js',
    },
    plugins: browserPlugins({ minify: true }),
    onwarn,
  },
];

if (hasComponents) {
  builds.push(
    {
      // `<consult-queue>` is its own entry: provider dashboards load it, the room's pages do not.
      input: { 'consult-kit': 'components/cdn.ts', 'consult-queue': 'components/consult-queue.ts' },
      output: {
        dir: 'dist/cdn',
        format: 'es',
        entryFileNames: '[name].js',
        // Languages keep stable names: the IIFE loads them from `i18n/<lang>.js` next to itself.
        chunkFileNames: (chunk) =>
          /\/components\/i18n\/[^/]+\.ts$/.test(chunk.facadeModuleId ?? '')
            ? 'i18n/[name].js'
            : 'chunks/[name]-[hash].js',
        sourcemap: true,
      },
      plugins: browserPlugins({ minify: true }),
      onwarn,
    },
    {
      input: 'components/cdn.ts',
      output: {
        file: 'dist/cdn/consult-kit.iife.js',
        format: 'iife',
        name: 'ConsultKit',
        inlineDynamicImports: true,
        sourcemap: true,
      },
      plugins: browserPlugins({ minify: true, bundledLanguages: false }),
      onwarn,
    },
    // livekit-client for the IIFE, which cannot split chunks: one self-contained ES module next to
    // it, imported only when a token is for LiveKit (the CDN ESM build has its own chunk).
    {
      input: { 'livekit-client': 'livekit-client' },
      output: { dir: 'dist/cdn', format: 'es', entryFileNames: '[name].js', sourcemap: true },
      plugins: browserPlugins({ minify: true }),
      onwarn,
    },
  );
}

if (hasServer) {
  builds.push({
    input: { 'server/index': 'server/index.ts', 'server/cli': 'server/cli.ts' },
    external: (id) => nodeExternal(id) || builtinModules.includes(id) || id.startsWith('node:'),
    output: {
      dir: 'dist',
      format: 'es',
      preserveModules: true,
      preserveModulesRoot: '.',
      entryFileNames: '[name].js',
      sourcemap: true,
    },
    plugins: [esbuild({ target: 'node20', tsconfig: './tsconfig.server.json' })],
    onwarn,
  });
}

export default builds;
