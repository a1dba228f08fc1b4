/**
 * `consult-kit/themes/default.css` survives a bundler: a page that imports it, and `<consult-chat>`
 * from source, is built with Vite (production build, CSS minified by lightningcss, which lowers
 * `light-dark()` into helper variables set only on some elements), served by `vite preview` and
 * opened in Chromium in the light and the dark scheme. Every colour token at `:root` must be one
 * valid colour equal to the element's built-in fallback for that scheme, the element must render
 * with it, and `data-consult-theme="dark"` must force the dark values under a light system setting.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { launchBrowser } from './support/browser.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `--consult-color-*` → [light, dark], from the `light-dark()` fallbacks in the element styles. */
async function fallbackColors(): Promise<Map<string, [string, string]>> {
  const src = await readFile(join(root, 'components/base/tokens.styles.ts'), 'utf8');
  const out = new Map<string, [string, string]>();
  for (const m of src.matchAll(/var\((--consult-color-[\w-]+), light-dark\(([^,]+), ([^)]+)\)\)/g))
    out.set(m[1] ?? '', [m[2] ?? '', m[3] ?? '']);
  return out;
}

describe('themes/default.css through Vite', () => {
  let dir = '';
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  let url = '';
  let colors = new Map<string, [string, string]>();

  before(async () => {
    colors = await fallbackColors();
    assert.ok(colors.size >= 14, `found ${colors.size} colour tokens`);
    dir = await mkdtemp(join(tmpdir(), 'ck-theme-'));
    await writeFile(
      join(dir, 'main.js'),
      `import ${JSON.stringify(join(root, 'components/themes/default.css'))};\n` +
        `import ${JSON.stringify(join(root, 'components/consult-chat.ts'))};\n`,
    );
    await writeFile(
      join(dir, 'index.html'),
      `<!doctype html><html lang="en"><head><script type="module" src="./main.js"></script></head>
<body><consult-chat id="plain"></consult-chat>
<div data-consult-theme="dark"><consult-chat id="forced"></consult-chat></div></body></html>`,
    );
    const outDir = join(dir, 'dist');
    await build({ root: dir, configFile: false, logLevel: 'warn', build: { outDir } });
    const cssFile = (await readdir(join(outDir, 'assets'))).find((f) => f.endsWith('.css'));
    assert.ok(cssFile, 'the build emitted CSS');
    const css = await readFile(join(outDir, 'assets', cssFile), 'utf8');
    assert.match(css, /--consult-color-text/, 'the theme is in the build');
    server = await preview({
      root: dir,
      configFile: false,
      logLevel: 'warn',
      build: { outDir },
      preview: { port: 0, host: '127.0.0.1', strictPort: true, open: false },
    });
    url = server.resolvedUrls?.local[0] ?? '';
    assert.ok(url, 'vite preview has a URL');
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => server?.httpServer.close(() => resolve()) ?? resolve());
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(scheme: 'light' | 'dark'): Promise<Page> {
    assert.ok(browser);
    const page = await browser.newPage({ colorScheme: scheme });
    // tsx compiles the evaluated functions with esbuild's keepNames, which calls __name.
    await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    await page.goto(url);
    await page.waitForFunction(() => {
      const el = document.querySelector('consult-chat');
      return customElements.get('consult-chat') && el?.shadowRoot?.querySelector('.base');
    });
    return page;
  }

  /** Each token's value at :root and the expected value, both as computed `rgb()` (or `invalid`). */
  function readTokens(page: Page, expected: Record<string, string>) {
    return page.evaluate((expected) => {
      const probe = document.createElement('span');
      document.body.append(probe);
      const rgb = (value: string): string => {
        probe.style.color = '';
        probe.style.color = value.trim();
        return probe.style.color ? getComputedStyle(probe).color : `invalid: ${value}`;
      };
      const rootStyle = getComputedStyle(document.documentElement);
      const out: Record<string, { actual: string; expected: string }> = {};
      for (const [name, value] of Object.entries(expected))
        out[name] = { actual: rgb(rootStyle.getPropertyValue(name)), expected: rgb(value) };
      const shadow = (id: string) => {
        const base = document.getElementById(id)?.shadowRoot?.querySelector('.base');
        const style = base ? getComputedStyle(base) : undefined;
        return {
          color: style?.color ?? '',
          text: rgb(style?.getPropertyValue('--_text') ?? ''),
          scheme: getComputedStyle(document.getElementById(id) as Element).colorScheme,
        };
      };
      const result = {
        tokens: out,
        plain: shadow('plain'),
        forced: shadow('forced'),
        font: rootStyle.getPropertyValue('--consult-font-family'),
      };
      probe.remove();
      return result;
    }, expected);
  }

  for (const scheme of ['light', 'dark'] as const) {
    it(`${scheme} scheme: every colour token at :root is the element's ${scheme} default`, async () => {
      const page = await open(scheme);
      try {
        const index = scheme === 'light' ? 0 : 1;
        const expected = Object.fromEntries([...colors].map(([n, pair]) => [n, pair[index]]));
        const r = await readTokens(page, expected);
        for (const [name, { actual, expected: want }] of Object.entries(r.tokens))
          assert.equal(actual, want, name);
        const text = r.tokens['--consult-color-text']?.expected;
        assert.equal(r.plain.text, text, '--_text inside <consult-chat>');
        assert.equal(r.plain.color, text, 'text colour inside <consult-chat>');
        assert.match(r.font, /'Noto Sans Arabic'|"Noto Sans Arabic"/);
      } finally {
        await page.close();
      }
    });
  }

  it('data-consult-theme="dark" forces the dark values under a light system setting', async () => {
    const page = await open('light');
    try {
      const dark = Object.fromEntries([...colors].map(([n, pair]) => [n, pair[1]]));
      const r = await readTokens(page, dark);
      const darkText = r.tokens['--consult-color-text']?.expected;
      assert.equal(r.forced.text, darkText, '--_text inside the forced <consult-chat>');
      assert.equal(r.forced.color, darkText);
      assert.equal(r.forced.scheme, 'dark', 'color-scheme of the forced element');
      assert.notEqual(r.plain.color, darkText, 'the other element stays light');
    } finally {
      await page.close();
    }
  });
});
