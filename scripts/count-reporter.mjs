// A node:test reporter that only counts leaf tests. scripts/test.mjs reads its output to print the
// closing `N passed, N failed` line across every test tier. It rewrites the file named by
// COUNT_RESULTS after every result (synchronously), because the runner is started with
// --test-force-exit and a reporter stream may not be flushed before the process exits.
import { writeFileSync } from 'node:fs';

export default async function* countReporter(source) {
  const out = process.env.COUNT_RESULTS;
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const save = () => {
    if (out) writeFileSync(out, JSON.stringify(counts) + '\n');
  };
  save();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    if (data.details?.type === 'suite') continue;
    // With process isolation node reports each file as a test too; a file that failed to load has
    // no children, so count it only when it failed.
    if (data.nesting === 0 && data.file && data.name === data.file) {
      if (event.type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed') {
        counts.failed++;
        counts.failures.push(data.name);
        save();
      }
      continue;
    }
    if (data.skip || data.todo) counts.skipped++;
    else if (event.type === 'test:pass') counts.passed++;
    else {
      counts.failed++;
      counts.failures.push(`${data.file ?? ''} › ${data.name}`);
    }
    save();
  }
  yield '';
}
