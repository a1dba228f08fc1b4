/**
 * The import boundaries and the function-size limit of docs/contributing.md are ESLint rules
 * (eslint.config.mjs); this checks that the configuration really rejects each kind of violation,
 * so a config edit cannot switch one off silently.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

// typescript-eslint takes a run under `CI=true` for a one-off CLI run and then type-checks each file
// from disk, ignoring the text lintText passes: this test lints made-up code under real paths, so
// it asks for the long-running mode, which parses the given text.
process.env['TSESTREE_SINGLE_RUN'] = 'false';
const eslint = new ESLint();

/** The rule ids ESLint reports for `code` as if it were the file at `filePath`. */
async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

const longFunction = (name: string): string =>
  `export function ${name}(): number {\n  let n = 0;\n${'  n += 1;\n'.repeat(151)}  return n;\n}\n`;

void describe('lint boundaries', () => {
  void it('components import the SDK only through src/index.ts', async () => {
    const file = 'components/base/consult-element.ts';
    assert.deepEqual(
      await violations(file, "export type { SessionState } from '../../src/types.js';\n"),
      ['no-restricted-imports'],
    );
    assert.deepEqual(
      await violations(file, "export { FakeSession } from '../../src/testing/index.js';\n"),
      ['no-restricted-imports'],
    );
    assert.deepEqual(
      await violations(file, "export type { SessionState } from '../../src/index.js';\n"),
      [],
    );
  });

  void it('tests and stories may also use src/testing/index.ts, nothing deeper', async () => {
    const file = 'stories/support/dom.ts';
    assert.deepEqual(
      await violations(file, "export { FakeSession } from '../../src/testing/index.js';\n"),
      [],
    );
    assert.deepEqual(
      await violations(file, "export { FakeSession } from '../../src/testing/fake-session.js';\n"),
      ['no-restricted-imports'],
    );
  });

  void it('the two servers never import each other; server/shared imports neither', async () => {
    assert.deepEqual(
      await violations(
        'server/token-server/errors.ts',
        "export { silentLogger } from '../dev-media-server/logger.js';\n",
      ),
      ['no-restricted-imports'],
    );
    assert.deepEqual(
      await violations(
        'server/dev-media-server/ids.ts',
        "export { errorMessage } from '../token-server/errors.js';\n",
      ),
      ['no-restricted-imports'],
    );
    assert.deepEqual(
      await violations(
        'server/shared/errors.ts',
        "export { silentLogger } from '../token-server/logger.js';\n",
      ),
      ['no-restricted-imports'],
    );
    assert.deepEqual(
      await violations(
        'server/dev-media-server/ids.ts',
        "export { errorMessage } from '../shared/errors.js';\n",
      ),
      [],
    );
  });

  void it('functions outside tests stay under 150 lines', async () => {
    assert.deepEqual(await violations('server/shared/errors.ts', longFunction('tooLong')), [
      'max-lines-per-function',
    ]);
    assert.deepEqual(await violations('server/token-server/cli.test.ts', longFunction('ok')), []);
  });
});
