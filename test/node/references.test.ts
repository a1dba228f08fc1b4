/**
 * Nothing in the repository refers to anything outside it
 * (docs/contributing.md#comments-docs-and-changelog): no absolute path into the machine the code was written on, no relative path that climbs out of
 * the repository to a sibling `shared` folder, and no rule numbers of a style guide that is not
 * here. The project's own rules live in docs/contributing.md, and a comment that cites a guide as
 * `docs/<guide>.md#<heading>` must name a guide and a heading that exist.
 *
 * Scans every file git would commit (tracked, plus new files that are not ignored).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { anchorsOf } from './support/markdown.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Files that still cite outside documents because another branch rewrites them; the merge replaces
 * their citations. Each entry must still have a finding: once it is clean, delete it here.
 */
const PENDING: ReadonlySet<string> = new Set<string>([]);

// Built from pieces, so that this file does not match its own patterns.
const HOST_PATH = new RegExp(`(?<![\\w.])/${'work'}/`, 'g');
const RULE_NUMBER = new RegExp(`\\b${'STYLE'} B\\.\\d`, 'g');
const OUTSIDE_GUIDE = new RegExp(`\\b(?:${'STYLE'}|${'TOOLCHAIN'})\\.md\\b`, 'g');
const CLIMB_TO_SHARED = /(?:\.\.\/)+shared\b/g;
const GUIDE_CITATION = /\bdocs\/([\w-]+\.md)#([\w-]+)/g;

function repositoryFiles(): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `git ls-files failed (the check needs git): ${r.stderr}`);
  return r.stdout
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(root, f)) && statSync(join(root, f)).isFile());
}

/** Text of a file, or undefined for binary files (a NUL byte in the first 8 KB). */
function textOf(file: string): string | undefined {
  const bytes = readFileSync(join(root, file));
  if (bytes.subarray(0, 8192).includes(0)) return undefined;
  return bytes.toString('utf8');
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Citations of things outside the repository in one file: `path:line: excerpt`. */
function outsideReferences(file: string, text: string): string[] {
  const found: string[] = [];
  const report = (index: number, what: string) =>
    found.push(`${file}:${lineOf(text, index)}: ${what}`);
  for (const re of [HOST_PATH, RULE_NUMBER, OUTSIDE_GUIDE]) {
    for (const m of text.matchAll(re)) report(m.index, m[0]);
  }
  for (const m of text.matchAll(CLIMB_TO_SHARED)) {
    const target = resolve(root, dirname(file), m[0]);
    if (target !== root && !target.startsWith(root.endsWith(sep) ? root : root + sep)) {
      report(m.index, `${m[0]} (resolves outside the repository)`);
    }
  }
  return found;
}

describe('references', () => {
  const files = repositoryFiles();
  const texts = new Map<string, string>();
  for (const file of files) {
    const text = textOf(file);
    if (text !== undefined) texts.set(file, text);
  }

  it('scans the repository', () => {
    assert.ok(texts.size > 100, `only ${texts.size} text files found under ${root}`);
    assert.ok(texts.has('docs/contributing.md'), 'docs/contributing.md is missing');
  });

  it('no file cites a path or a style guide outside the repository', () => {
    const findings: string[] = [];
    const stillPending: string[] = [];
    for (const [file, text] of texts) {
      const found = outsideReferences(file, text);
      if (PENDING.has(file)) {
        if (found.length > 0) stillPending.push(file);
      } else {
        findings.push(...found);
      }
    }
    assert.deepEqual(
      findings,
      [],
      'cite docs/contributing.md (or another guide in docs/) instead of these',
    );
    assert.deepEqual(
      [...PENDING].filter((f) => !stillPending.includes(f)),
      [],
      'these files are clean now (or gone): remove them from PENDING in this test',
    );
  });

  it('every `docs/<guide>.md#<heading>` cited outside docs/ names an existing guide and heading', () => {
    const broken: string[] = [];
    const anchors = new Map<string, Set<string> | undefined>();
    for (const [file, text] of texts) {
      if (file.endsWith('.md')) continue; // markdown links are checked by docs.test.ts
      for (const m of text.matchAll(GUIDE_CITATION)) {
        const [, guide = '', anchor = ''] = m;
        if (!anchors.has(guide)) {
          const path = join(root, 'docs', guide);
          anchors.set(guide, existsSync(path) ? anchorsOf(readFileSync(path, 'utf8')) : undefined);
        }
        const known = anchors.get(guide);
        if (!known) broken.push(`${file}:${lineOf(text, m.index)}: docs/${guide} does not exist`);
        else if (!known.has(anchor))
          broken.push(`${file}:${lineOf(text, m.index)}: no heading #${anchor} in docs/${guide}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('the patterns find what they are meant to find', () => {
    const sample = (s: string, file = 'src/x.ts') => outsideReferences(file, s).length;
    assert.equal(sample(`see ${'/'}work/shared/notes.md`), 1);
    assert.equal(sample(`rule ${'STYLE'} B.4 says`), 1);
    assert.equal(sample(`${'TOOLCHAIN'}.md §2`), 1);
    assert.equal(sample(`import x from '../../${'..'}/shared/x.js'`, 'server/a/b.ts'), 1);
    // Inside the repository: a future server/shared/ folder, and ordinary URLs.
    assert.equal(sample(`import x from '../shared/logger.js'`, 'server/token-server/app.ts'), 0);
    assert.equal(
      sample(`https://example.org${'/'}work/item and docs/contributing.md#boundaries`),
      0,
    );
  });
});
