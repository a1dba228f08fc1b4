// A web-test-runner reporter that counts leaf tests, next to wtr's default reporter. It writes
// `{"passed","failed","skipped","failures":[…]}` as one JSON line to the file named by the env var
// WTR_RESULTS (the same shape as scripts/count-reporter.mjs, which scripts/test.mjs reads) and prints a
// plain `N passed, N failed` line when the process exits (wtr swallows console output of reporters).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

/** @typedef {{ name: string, passed: boolean, skipped: boolean, error?: { message?: string } }} TestResult */
/** @typedef {{ name: string, suites: Suite[], tests: TestResult[] }} Suite */

function walk(suite, path, visit) {
  for (const test of suite.tests) visit(test, [...path, test.name].filter(Boolean).join(' › '));
  for (const child of suite.suites) walk(child, [...path, child.name], visit);
}

export function countReporter({ outFile = process.env.WTR_RESULTS } = {}) {
  let counts;
  let cwd = process.cwd();
  return {
    start({ config }) {
      cwd = config.rootDir ?? cwd;
    },
    onTestRunFinished({ sessions }) {
      let passed = 0;
      let failed = 0;
      let skipped = 0;
      const failures = [];
      for (const session of sessions) {
        const file = relative(cwd, session.testFile);
        const where = `${file} [${session.browser?.name ?? 'browser'}]`;
        let leafFailures = 0;
        if (session.testResults) {
          walk(session.testResults, [], (test, name) => {
            if (test.skipped) skipped++;
            else if (test.passed) passed++;
            else {
              failed++;
              leafFailures++;
              failures.push(
                `${where} › ${name}${test.error?.message ? `: ${firstLine(test.error.message)}` : ''}`,
              );
            }
          });
        }
        // A file that failed outside any test (load/syntax error, uncaught error, timeout, 404 of
        // an import) counts as one failure, so that it cannot pass silently.
        if (session.passed === false && leafFailures === 0) {
          failed++;
          const reason =
            session.errors?.[0]?.message ??
            (session.request404s?.length ? `404 ${session.request404s[0]}` : 'failed');
          failures.push(`${where}: ${firstLine(reason)}`);
        }
      }
      counts = { passed, failed, skipped, failures };
      if (outFile) {
        mkdirSync(dirname(outFile), { recursive: true });
        writeFileSync(outFile, JSON.stringify(counts) + '\n');
      }
    },
    stop() {
      if (!counts) return;
      const { passed, failed, skipped } = counts;
      process.once('exit', () => {
        process.stdout.write(
          `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
        );
      });
    },
  };
}

function firstLine(text) {
  return String(text).split('\n')[0].slice(0, 300);
}
