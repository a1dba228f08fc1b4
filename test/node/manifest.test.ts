/**
 * custom-elements.json documents every `--consult-*` property the elements' styles read
 * (docs/contributing.md#writing-an-element, docs/contributing.md#styling-and-theming): each
 * element's styles (its `*.styles.ts` and the shared tokens they import) are scanned for
 * `var(--consult-…)`, and the element's `cssProperties` in the manifest must list each one, with no
 * stale entries. A declared default must equal the fallback in the styles.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface CssProperty {
  name: string;
  description?: string;
  default?: string;
}
interface Declaration {
  name: string;
  customElement?: boolean;
  tagName?: string;
  cssProperties?: CssProperty[];
}
interface Manifest {
  modules: { path: string; declarations?: Declaration[] }[];
}

const manifest = JSON.parse(readFileSync(join(root, 'custom-elements.json'), 'utf8')) as Manifest;

/** The `*.styles.ts` files a module imports, followed transitively (relative to the root). */
function styleFiles(modulePath: string, seen = new Set<string>()): Set<string> {
  const src = readFileSync(join(root, modulePath), 'utf8');
  for (const m of src.matchAll(/from\s+'(\.{1,2}\/[^']+\.styles)\.js'/g)) {
    const file = relative(root, join(root, dirname(modulePath), `${m[1]}.ts`));
    if (seen.has(file) || !existsSync(join(root, file))) continue;
    seen.add(file);
    styleFiles(file, seen);
  }
  return seen;
}

/** Every `--consult-*` property read with `var()` in the files, with its first fallback. */
function readProperties(files: Iterable<string>): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const file of files) {
    const src = readFileSync(join(root, file), 'utf8');
    for (let i = src.indexOf('var('); i !== -1; i = src.indexOf('var(', i + 4)) {
      let depth = 0;
      let end = -1;
      for (let j = i + 3; j < src.length; j++) {
        if (src[j] === '(') depth++;
        else if (src[j] === ')' && --depth === 0) {
          end = j;
          break;
        }
      }
      const args = src.slice(i + 4, end);
      const name = /^\s*(--consult-[\w-]+)/.exec(args)?.[1];
      if (!name) continue;
      const comma = args.indexOf(',');
      const fallback =
        comma === -1
          ? undefined
          : args
              .slice(comma + 1)
              .replace(/\s+/g, ' ')
              .trim();
      if (!found.has(name) || found.get(name) === undefined) found.set(name, fallback);
    }
  }
  return found;
}

const elements = manifest.modules.flatMap((mod) =>
  (mod.declarations ?? [])
    .filter((d) => d.customElement && d.tagName)
    .map((d) => ({ path: mod.path, d })),
);

describe('custom-elements.json', () => {
  it('has every element', () => {
    assert.deepEqual(elements.map((e) => e.d.tagName).sort(), [
      'consult-chat',
      'consult-precheck',
      'consult-prejoin',
      'consult-queue',
      'consult-room',
      'consult-tile',
    ]);
  });

  for (const { path, d } of elements) {
    const files = styleFiles(path);
    const read = readProperties(files);
    const declared = new Map((d.cssProperties ?? []).map((p) => [p.name, p]));

    it(`<${d.tagName}> declares every --consult-* property its styles read`, () => {
      assert.ok(files.size >= 2, `found only ${[...files].join(', ')}`);
      assert.ok(read.size > 10, `found only ${read.size} properties`);
      const missing = [...read.keys()].filter((name) => !declared.has(name)).sort();
      assert.deepEqual(missing, [], `add @cssproperty to ${d.name}'s JSDoc, then npm run analyze`);
    });

    it(`<${d.tagName}> declares no property its styles do not read, each with a description`, () => {
      const stale = [...declared.keys()].filter((name) => !read.has(name)).sort();
      assert.deepEqual(stale, []);
      const undescribed = [...declared.values()].filter((p) => !p.description).map((p) => p.name);
      assert.deepEqual(undescribed, []);
    });

    it(`<${d.tagName}>'s declared defaults match the fallbacks in its styles`, () => {
      for (const p of declared.values()) {
        if (p.default === undefined) continue;
        assert.equal(p.default.replace(/\s+/g, ' ').trim(), read.get(p.name), p.name);
      }
    });
  }
});
