/**
 * The documentation stays true to the code: TypeDoc builds without warnings, every relative link in
 * docs/*.md and README.md resolves (files and heading anchors), and the generated references
 * (docs/openapi.json, docs/elements.md, the token table in docs/theming.md, and the
 * custom-elements.json they read) match what their generators produce now. A public API change
 * therefore has to update the docs in the same submission.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { anchorsOf } from './support/markdown.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const temp = mkdtempSync(join(tmpdir(), 'consult-kit-docs-'));
after(() => rmSync(temp, { recursive: true, force: true }));

/** Imports a repository script by path (a variable specifier keeps TypeScript from typing it). */
async function script<T>(path: string): Promise<T> {
  const url = pathToFileURL(join(root, path)).href;
  return (await import(url)) as T;
}

// ───────────────────────────── links ─────────────────────────────

/** Drops fenced code blocks and inline code, where link syntax is only an example. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[\s\S]*?^\1\s*$/gm, '').replace(/`[^`\n]*`/g, '');
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(root, 'docs', f));
  return [join(root, 'README.md'), ...docs];
}

describe('docs', () => {
  it('every relative link in README.md and docs/*.md points to an existing file and heading', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = readFileSync(file, 'utf8');
      const links = [...withoutCode(text).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)];
      for (const [, target] of links) {
        if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, mailto:, …
        const [path = '', anchor] = target.split('#');
        const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        const where = `${relative(root, file)} → ${target}`;
        if (!existsSync(resolved)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (anchor && resolved.endsWith('.md')) {
          const anchors = anchorsOf(readFileSync(resolved, 'utf8'));
          if (!anchors.has(decodeURIComponent(anchor))) broken.push(`${where} (no such heading)`);
        }
      }
    }
    assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`);
  });

  it('README.md lists every guide in docs/', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const missing = readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .filter((f) => !readme.includes(`](docs/${f})`));
    assert.deepEqual(missing, [], 'add these to the Documentation list of README.md');
  });

  // ───────────────────────────── generated files ─────────────────────────────

  it('docs/openapi.json is what the token server serves (npm run openapi)', async () => {
    const { renderOpenApi, OPENAPI_FILE } = await script<{
      renderOpenApi(): Promise<string>;
      OPENAPI_FILE: string;
    }>('scripts/openapi.mjs');
    const expected = await renderOpenApi();
    assert.ok(existsSync(OPENAPI_FILE), 'docs/openapi.json is missing: run `npm run openapi`');
    assert.ok(
      readFileSync(OPENAPI_FILE, 'utf8') === expected,
      'docs/openapi.json is out of date: run `npm run openapi` and commit it',
    );
  });

  it('custom-elements.json matches the class JSDoc (npm run analyze)', () => {
    const outdir = join(temp, 'cem');
    // The analyzer joins outdir to the working directory, so it must be relative to the root.
    const config = join(temp, 'cem.config.mjs');
    const base = pathToFileURL(join(root, 'components/custom-elements-manifest.config.mjs')).href;
    writeFileSync(
      config,
      `import base from ${JSON.stringify(base)};\nexport default { ...base, outdir: ${JSON.stringify(relative(root, outdir))} };\n`,
    );
    const cli = join(root, 'node_modules/@custom-elements-manifest/analyzer/cem.js');
    const r = spawnSync(process.execPath, [cli, 'analyze', '--config', config], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `cem analyze failed:\n${r.stdout}\n${r.stderr}`);
    const fresh = JSON.parse(readFileSync(join(outdir, 'custom-elements.json'), 'utf8')) as unknown;
    const committed = JSON.parse(
      readFileSync(join(root, 'custom-elements.json'), 'utf8'),
    ) as unknown;
    assert.deepEqual(
      committed,
      fresh,
      'custom-elements.json is out of date: run `npm run analyze && npm run docs:elements`',
    );
  });

  it('docs/elements.md and the token table of docs/theming.md are current (npm run docs:elements)', async () => {
    const { renderElementsDocs, ELEMENTS_FILE, THEMING_FILE } = await script<{
      renderElementsDocs(): { elements: string; theming: string };
      ELEMENTS_FILE: string;
      THEMING_FILE: string;
    }>('scripts/docs-elements.mjs');
    const expected = renderElementsDocs();
    const hint = 'run `npm run docs:elements` and commit the result';
    assert.ok(
      readFileSync(ELEMENTS_FILE, 'utf8') === expected.elements,
      `docs/elements.md: ${hint}`,
    );
    assert.ok(readFileSync(THEMING_FILE, 'utf8') === expected.theming, `docs/theming.md: ${hint}`);
  });

  it('the token table names the elements that import a shared style, not "all"', () => {
    const theming = readFileSync(join(root, 'docs/theming.md'), 'utf8');
    const row = (token: string) =>
      theming
        .split('\n')
        .find((line) => line.startsWith(`| \`${token}\` |`))
        ?.split(' | ')[2];
    // components/base/device-check.styles.ts serves the prejoin and precheck previews only.
    assert.equal(
      row('--consult-room-tile-radius'),
      'consult-precheck, consult-prejoin, consult-room',
    );
    // components/base/tokens.styles.ts is imported by every element.
    assert.equal(row('--consult-color-accent'), 'all');
  });

  it('docs/elements.md lists every UI string key with its English text', async () => {
    const { en } = await import(pathToFileURL(join(root, 'components/i18n/en.ts')).href);
    const doc = readFileSync(join(root, 'docs/elements.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## UI strings'));
    const missing = Object.entries(en as Record<string, string>)
      .filter(([key, text]) => !section.includes(`| \`${key}\` | ${text.split('\n')[0]}`))
      .map(([key]) => key);
    assert.deepEqual(missing, []);
  });

  // ───────────────────────────── API reference ─────────────────────────────

  it(
    'TypeDoc builds the API reference with no errors or warnings (npm run docs)',
    { timeout: 180_000 },
    () => {
      const out = join(temp, 'api');
      const cli = join(root, 'node_modules/typedoc/bin/typedoc');
      // typedoc.json sets treatWarningsAsErrors, so any warning fails the run.
      const r = spawnSync(process.execPath, [cli, '--out', out], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, `typedoc failed:\n${r.stdout}\n${r.stderr}`);
      assert.doesNotMatch(r.stdout + r.stderr, /\[warning\]|\[error\]/);
      assert.ok(existsSync(join(out, 'index.html')), 'no index.html was written');
    },
  );
});
