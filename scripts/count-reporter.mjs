// A node:test reporter that only counts leaf tests. scripts/test.mjs reads its output to print the
// closing `N passed, N failed` line across every test tier.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    if (data.details?.type === 'suite') continue;
    // With process isolation node reports each file as a test too; a file that failed to load has
    // no children, so count it only when it failed.
    if (data.nesting === 0 && data.file && data.name === data.file) {
      if (event.type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed') {
        failed++;
        failures.push(data.name);
      }
      continue;
    }
    if (data.skip || data.todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else {
      failed++;
      failures.push(`${data.file ?? ''} › ${data.name}`);
    }
  }
  yield JSON.stringify({ passed, failed, skipped, failures }) + '\n';
}
