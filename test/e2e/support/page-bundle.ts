// One way to turn test-page source into a script a browser page can load: esbuild bundles an entry
// (inline source or a file) with everything it imports from the repository, for the browser, in
// memory. The e2e files serve the result from their own loopback origin.
import { build, type TsconfigRaw } from 'esbuild';

const root = new URL('../../../', import.meta.url).pathname;

export interface PageBundleOptions {
  /** Inline source to bundle; imports resolve from the repository root. */
  contents?: string;
  /** A file to bundle instead of `contents`. */
  entry?: string;
  /** The name esbuild gives the inline source in errors (default `e2e-entry.ts`). */
  sourcefile?: string;
  /** How the inline source is parsed (default `ts`). */
  loader?: 'ts' | 'js';
  /** `iife` (default) for a classic `<script>`, `esm` for `<script type="module">`. */
  format?: 'iife' | 'esm';
  /** Compiler options for the bundled TypeScript (e.g. Lit's decorators). */
  tsconfigRaw?: TsconfigRaw;
  define?: Record<string, string>;
}

/** Bundles a page's script and returns its text; throws when esbuild reports an error. */
export async function bundleForPage(options: PageBundleOptions): Promise<string> {
  if (!options.contents === !options.entry) {
    throw new Error('bundleForPage needs exactly one of contents or entry');
  }
  const result = await build({
    ...(options.entry
      ? { entryPoints: [options.entry] }
      : {
          stdin: {
            contents: options.contents!,
            resolveDir: root,
            sourcefile: options.sourcefile ?? 'e2e-entry.ts',
            loader: options.loader ?? 'ts',
          },
        }),
    bundle: true,
    format: options.format ?? 'iife',
    platform: 'browser',
    target: 'es2021',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    ...(options.tsconfigRaw ? { tsconfigRaw: options.tsconfigRaw } : {}),
    ...(options.define ? { define: options.define } : {}),
  });
  const text = result.outputFiles[0]?.text ?? '';
  if (!text) throw new Error('bundleForPage: esbuild produced no output');
  return text;
}
