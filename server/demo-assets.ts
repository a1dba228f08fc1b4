/**
 * What the demo portal serves besides the token server's API: the example portal's pages
 * (`examples/script-tag/`) and the script-tag build of the elements under `/cdn/`, each with a
 * strict Content-Security-Policy.
 *
 * In the repository the CDN build is bundled in memory with esbuild at start (about 1 s; the rollup
 * build takes 10–80 s and wipes `dist/`); an installed package serves its `dist/cdn`. Like rollup's
 * builds, the ES-module build splits openvidu-browser and livekit-client into chunks of their own,
 * and the IIFE (which cannot split) loads livekit-client from `livekit-client.js` next to itself,
 * so neither build carries livekit-client for an OpenVidu call.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function typeOf(path: string): string {
  return TYPES[extname(path)] ?? 'application/octet-stream';
}

/** The package root: the folder above this file holding consult-kit's package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'consult-kit')
          return dir;
      } catch {
        // not ours
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('consult-kit: cannot find the package root');
    dir = up;
  }
}

const LANGUAGES = ['es', 'fr', 'de', 'pt-BR', 'ar'];

/**
 * The IIFE's entry: `components/cdn.ts`, plus the LiveKit adapter evaluated while the script runs.
 * The adapter reads `document.currentScript` (to find `livekit-client.js` next to the script) when
 * its module is evaluated. rollup's IIFE (`inlineDynamicImports`) evaluates every module at load;
 * esbuild defers a module that is only `import()`ed until that call, when `currentScript` is
 * null (measured: "Failed to construct 'URL': Invalid URL", the patient's call never started).
 */
const IIFE_ENTRY =
  "export * from './components/cdn.ts';\nimport 'consult-kit:eager-livekit-adapter';\n";

/** Resolves the IIFE entry's adapter import to `src/backends/livekit.ts`, kept as a side effect. */
function eagerLiveKitAdapter(root: string): Plugin {
  return {
    name: 'eager-livekit-adapter',
    setup(b) {
      b.onResolve({ filter: /^consult-kit:eager-livekit-adapter$/ }, () => ({
        path: join(root, 'src/backends/livekit.ts'),
        sideEffects: true,
      }));
    },
  };
}

/**
 * Bundles `components/cdn.ts` like rollup's CDN and IIFE builds (same defines, same mime shim,
 * languages at `i18n/<lang>.js`), in memory. Keys are paths below `/cdn/`.
 */
async function bundleCdn(root: string): Promise<Map<string, Asset>> {
  const { build } = await import('esbuild');
  // With code splitting, esbuild gives a dynamic import() of a CommonJS module (openvidu-browser)
  // only a `default` export, so the SDK's `const { OpenVidu } = await import('openvidu-browser')`
  // finds no constructor. An ES-module facade with the named export keeps the split chunk
  // (rollup's commonjs() plugin does the same for the dist build).
  const openViduFacade: Plugin = {
    name: 'openvidu-esm-facade',
    setup(b) {
      b.onResolve({ filter: /^openvidu-browser$/ }, (args) =>
        args.namespace === 'openvidu-facade'
          ? undefined
          : { path: 'openvidu-browser', namespace: 'openvidu-facade' },
      );
      b.onLoad({ filter: /.*/, namespace: 'openvidu-facade' }, () => ({
        contents: "export { OpenVidu } from 'openvidu-browser';",
        resolveDir: root,
        loader: 'js',
      }));
    },
  };
  const common = {
    plugins: [openViduFacade],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'browser' as const,
    target: 'es2021',
    minify: true,
    sourcemap: 'linked' as const,
    tsconfig: join(root, 'tsconfig.json'),
    alias: { mime: join(root, 'build/shims/mime.js') },
    logLevel: 'error' as const,
  };
  const outdir = join(root, '.demo-cdn');
  const [esm, iife, livekit] = await Promise.all([
    build({
      ...common,
      format: 'esm',
      splitting: true,
      outdir,
      entryPoints: {
        'consult-kit': join(root, 'components/cdn.ts'),
        ...Object.fromEntries(
          LANGUAGES.map((l) => [`i18n/${l}`, join(root, `components/i18n/${l}.ts`)]),
        ),
      },
      chunkNames: 'chunks/[name]-[hash]',
      define: { __DEV__: 'false' },
    }),
    build({
      ...common,
      format: 'iife',
      globalName: 'ConsultKit',
      outfile: join(outdir, 'consult-kit.iife.js'),
      stdin: {
        contents: IIFE_ENTRY,
        resolveDir: root,
        sourcefile: 'consult-kit.iife.ts',
        loader: 'ts',
      },
      plugins: [...common.plugins, eagerLiveKitAdapter(root)],
      // The IIFE imports `livekit-client.js` next to itself (below), never the package.
      external: ['livekit-client'],
      define: {
        __DEV__: 'false',
        __CONSULT_BUNDLED_LANGUAGES__: 'false',
        __CONSULT_LIVEKIT_FROM_SCRIPT_DIR__: 'true',
      },
    }),
    // livekit-client for the IIFE: one self-contained ES module, as rollup's CDN build ships it.
    build({
      ...common,
      format: 'esm',
      outfile: join(outdir, 'livekit-client.js'),
      entryPoints: ['livekit-client'],
    }),
  ]);
  const files = new Map<string, Asset>();
  for (const f of [esm, iife, livekit].flatMap((b) => b.outputFiles ?? [])) {
    const rel = f.path
      .slice(outdir.length + 1)
      .split(sep)
      .join('/');
    files.set(rel, { body: new Uint8Array(f.contents), type: typeOf(rel) });
  }
  return files;
}

/** Reads a file below `dir`, refusing anything that escapes it. */
async function readBelow(dir: string, rel: string): Promise<Asset | undefined> {
  const path = normalize(join(dir, rel));
  if (!path.startsWith(dir + sep)) return undefined;
  try {
    return { body: new Uint8Array(await readFile(path)), type: typeOf(path) };
  } catch {
    return undefined;
  }
}

export interface Assets {
  kind: 'bundled' | 'dist';
  bundleMs: number;
  /** `rel` is below `/cdn/`, without the leading slash. */
  cdn(rel: string): Promise<Asset | undefined>;
  /** Files of examples/script-tag. */
  page(rel: string): Promise<Asset | undefined>;
}

export async function loadAssets(): Promise<Assets> {
  const root = packageRoot();
  const example = join(root, 'examples/script-tag');
  if (!existsSync(join(example, 'index.html')))
    throw new Error(`consult-kit: the example portal is missing (${example})`);
  const page = (rel: string) => readBelow(example, rel);
  if (existsSync(join(root, 'components/cdn.ts'))) {
    const started = performance.now();
    try {
      const files = await bundleCdn(root);
      return {
        kind: 'bundled',
        bundleMs: Math.round(performance.now() - started),
        cdn: (rel) => Promise.resolve(files.get(rel)),
        page,
      };
    } catch (e) {
      // esbuild is a devDependency: without it, fall back to a built dist/cdn.
      if ((e as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  const dist = join(root, 'dist/cdn');
  if (!existsSync(join(dist, 'consult-kit.iife.js')))
    throw new Error('consult-kit: no CDN build found; run "npm run build" first');
  return { kind: 'dist', bundleMs: 0, cdn: (rel) => readBelow(dist, rel), page };
}

/**
 * The origins a page needs in `connect-src` for the media server at `mediaUrl`: its WebSocket and
 * its HTTP origin (OpenVidu's REST and livekit-client's `/rtc/validate`), from an `http(s)://` or
 * a `ws(s)://` URL.
 */
function mediaOrigins(mediaUrl: string): string[] {
  const u = new URL(mediaUrl);
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  return [`${secure ? 'wss:' : 'ws:'}//${u.host}`, `${secure ? 'https:' : 'http:'}//${u.host}`];
}

/** The portal pages' policy: nothing inline, nothing evaluated, media only from the call. */
export function portalCsp(mediaUrl: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${mediaOrigins(mediaUrl).join(' ')}`,
    "media-src 'self' blob: mediastream:",
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const PAGES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/module.html': 'module.html',
  '/portal.js': 'portal.js',
  '/portal.css': 'portal.css',
};

function staticResponse(asset: Asset, csp: string, method: string): Response {
  return new Response(method === 'HEAD' ? null : asset.body, {
    headers: {
      'Content-Type': asset.type,
      'Content-Length': String(asset.body.byteLength),
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Permissions-Policy': 'camera=(self), microphone=(self), display-capture=(self)',
    },
  });
}

export async function serveStatic(
  request: Request,
  assets: Assets,
  csp: string,
): Promise<Response | undefined> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
  const { pathname } = new URL(request.url);
  let asset: Asset | undefined;
  const page = PAGES[pathname];
  if (page) asset = await assets.page(page);
  else if (pathname.startsWith('/cdn/')) {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname.slice('/cdn/'.length));
    } catch {
      return undefined;
    }
    if (rel.split('/').some((s) => s === '..' || s === '')) return undefined;
    asset = await assets.cdn(rel);
    if (!asset) return new Response('Not found', { status: 404 });
  }
  return asset ? staticResponse(asset, csp, request.method) : undefined;
}
