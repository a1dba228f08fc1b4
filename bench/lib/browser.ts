/**
 * Shared browser plumbing of the Chromium benchmarks: the launch flags, an esbuild bundle of a page
 * entry, and a loopback HTTP server that serves it.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { chromiumFlags } from '../../scripts/chromium-flags.mjs';

/** As in join-to-first-frame: software rendering, fake camera + microphone, no prompts. */
export const CHROMIUM_FLAGS = chromiumFlags();

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROME_PATH'] || '/usr/bin/chromium',
    args: CHROMIUM_FLAGS,
  });
}

/** Bundles `entry` (JS or TS source; imports resolve from the repository root) into one IIFE. */
export async function bundlePage(entry: string): Promise<string> {
  const root = new URL('../../', import.meta.url).pathname;
  const bundle = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'bench-page.ts', loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    tsconfig: `${root}tsconfig.json`,
    write: false,
    logLevel: 'silent',
  });
  return (bundle.outputFiles[0] as { text: string }).text;
}

export interface PageServer {
  /** `http://localhost:<port>/` (a secure context, so getUserMedia works). */
  url: string;
  close(): Promise<void>;
}

/** Serves `js` at /bench.js and a minimal HTML page loading it everywhere else (loopback only). */
export async function servePage(js: string, bodyHtml = ''): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/bench.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(js);
    } else {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!doctype html><html lang="en"><meta charset="utf-8"><body>${bodyHtml}<script src="/bench.js"></script></body></html>`,
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
