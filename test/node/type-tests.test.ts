/**
 * The type tests (`*.test-d.ts`, docs/contributing.md#state-and-events) only guard anything if
 * `npm run typecheck` compiles them: both exist, tsconfig.json includes them (and the build leaves
 * them out), and the DOM-event type test covers every event the elements add to
 * `GlobalEventHandlersEventMap`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const typeTests = ['src/events.test-d.ts', 'components/events/events.test-d.ts'];

function programFiles(project: string): string[] {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', project, '--listFilesOnly'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr || r.stdout);
  return r.stdout.split('\n').map((line) => line.trim().replaceAll('\\', '/'));
}

describe('type tests', () => {
  it('npm run typecheck compiles both events.test-d.ts files; the build does not emit them', () => {
    const checked = programFiles('tsconfig.json');
    const built = programFiles('tsconfig.build.json');
    for (const file of typeTests) {
      const abs = join(root, file).replaceAll('\\', '/');
      assert.ok(checked.includes(abs), `${file} is not in tsconfig.json's program`);
      assert.ok(!built.includes(abs), `${file} would be emitted by tsconfig.build.json`);
    }
  });

  it('components/events/events.test-d.ts listens to every consult-* DOM event', () => {
    const dir = join(root, 'components/events');
    const declared = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test-d.ts'))
      .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/'(consult-[a-z-]+)':/g)])
      .map((m) => m[1]);
    assert.ok(declared.length >= 10, `found only ${declared.length} declared events`);
    const typeTest = readFileSync(join(dir, 'events.test-d.ts'), 'utf8');
    const missing = declared.filter((name) => !typeTest.includes(`addEventListener('${name}'`));
    assert.deepEqual(missing, [], 'events without a type test');
  });
});
