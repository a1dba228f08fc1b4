#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts (each in its own `node --import tsx` process), collects
// the JSON result lines they print (see bench/lib/report.ts) and rewrites docs/performance.md with one
// table of every benchmark. `npm run bench -- <id> [<id>…]` runs only those files (id = file name
// without `.bench.ts`); rows of benchmarks not run this time are kept from the previous document.
// Adding a benchmark = adding a bench/<id>.bench.ts file that calls report().
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const benchDir = join(root, 'bench');
const docPath = join(root, 'docs/performance.md');
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 300);
const DATA_START = '<!-- bench-data';
const DATA_END = '-->';
const FIELDS = {
  id: 'string',
  title: 'string',
  figure: 'number',
  unit: 'string',
  baseline: 'number',
  baselineUnit: 'string',
  baselineLabel: 'string',
  ratio: 'number',
  lowerIsBetter: 'boolean',
  command: 'string',
  notes: 'string',
};
const OPTIONAL_FIELDS = { reading: 'string' };

const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const w of wanted) {
  if (!available.includes(w)) {
    console.error(`Unknown benchmark "${w}". Available: ${available.join(', ')}`);
    process.exit(2);
  }
}
const selected = wanted.length ? wanted : available;

function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: (cpus[0]?.model ?? 'unknown').replace(/\s+/g, ' ').trim(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

function validate(result, fileId) {
  for (const [key, type] of Object.entries(FIELDS)) {
    if (typeof result[key] !== type) return `field "${key}" must be a ${type}`;
  }
  for (const [key, type] of Object.entries(OPTIONAL_FIELDS)) {
    if (result[key] !== undefined && typeof result[key] !== type)
      return `field "${key}" must be a ${type}`;
  }
  if (result.id !== fileId && !result.id.startsWith(`${fileId}/`)) {
    return `id "${result.id}" must be "${fileId}" or start with "${fileId}/"`;
  }
  return undefined;
}

/** Kills a benchmark's whole process group (browsers, server child, ffmpeg); quiet when it is gone. */
function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

let running;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (running) killGroup(running.pid);
    process.exit(130);
  });
}

/** Runs one benchmark file; resolves with its results (empty on failure) and an error message. */
function runOne(fileId) {
  return new Promise((resolve) => {
    const started = Date.now();
    const loadAvg = os.loadavg()[0];
    const results = [];
    const problems = [];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(benchDir, `${fileId}.bench.ts`)],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
        detached: true, // own process group, so a timeout can stop its browsers and children too
      },
    );
    running = child;
    // Leftovers of a benchmark that exited without cleaning up would hold stdout open.
    child.on('exit', () => killGroup(child.pid));
    let buffered = '';
    const onLine = (line) => {
      let parsed;
      if (line.startsWith('{')) {
        try {
          parsed = JSON.parse(line);
        } catch {
          parsed = undefined;
        }
      }
      if (parsed?.type !== 'bench-result') {
        if (line.trim()) console.log(line);
        return;
      }
      const problem = validate(parsed, fileId);
      if (problem) {
        problems.push(problem);
        return;
      }
      const result = { ...parsed };
      delete result.type;
      results.push(result);
      console.log(
        `  → ${result.id}: ${result.figure} ${result.unit} vs ${result.baseline} ${result.baselineUnit} (${result.baselineLabel}) = ${result.ratio}×`,
      );
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    const timer = setTimeout(() => {
      problems.push(`timed out after ${TIMEOUT_S} s`);
      killGroup(child.pid);
    }, TIMEOUT_S * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running = undefined;
      if (buffered) onLine(buffered);
      if (code !== 0) problems.push(`exited with ${signal ?? code}`);
      if (results.length === 0) problems.push('printed no result line');
      const seconds = (Date.now() - started) / 1000;
      resolve({ fileId, results: problems.length ? [] : results, problems, seconds, loadAvg });
    });
  });
}

function readPrevious() {
  if (!existsSync(docPath)) return [];
  const text = readFileSync(docPath, 'utf8');
  const start = text.indexOf(DATA_START);
  if (start < 0) return [];
  const end = text.indexOf(DATA_END, start);
  try {
    const data = JSON.parse(text.slice(start + DATA_START.length, end));
    return Array.isArray(data.rows) ? data.rows : [];
  } catch {
    return [];
  }
}

const fmt = (n) => (Number.isFinite(n) ? String(n) : 'n/a');
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function render(rows) {
  const runKey = (run) => `${run.date}|${JSON.stringify(run.machine)}|${run.loadAvg}`;
  const runs = new Map();
  for (const r of rows) runs.set(runKey(r.run), r.run);
  const lines = [
    '# Performance',
    '',
    '<!-- Generated by `npm run bench` (scripts/bench.mjs) from the bench/*.bench.ts results. Do not edit by hand: edit the benchmark, run it, commit this file. -->',
    '',
    'Every figure below is compared with a **baseline measured in the same run on the same machine**, and the',
    '**ratio** (figure ÷ baseline) is the number to track: absolute figures move with the machine and with',
    'whatever else it is doing; the ratio mostly does not. Regenerate with `npm run bench` (all) or',
    '`npm run bench -- <id>` (one file; the other rows are kept). See `bench/README.md` in the source repository.',
    '',
    '| Benchmark | What is measured | Figure | Baseline (same run) | Ratio | Reproduce |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| \`${cell(r.id)}\` | ${cell(r.title)} | ${fmt(r.figure)} ${cell(r.unit)} | ${fmt(r.baseline)} ${cell(r.baselineUnit)}: ${cell(r.baselineLabel)} | **${fmt(r.ratio)}×** ${r.lowerIsBetter ? '(lower is better)' : '(higher is better)'} | \`${cell(r.command)}\` |`,
    );
  }
  lines.push('', '## Notes per benchmark', '');
  for (const r of rows) {
    lines.push(`- \`${r.id}\` (${r.run.date}): ${r.notes}`);
    if (r.reading) lines.push(`  - How to read: ${r.reading}`);
  }
  lines.push('', '## Machine', '');
  for (const [key, run] of runs) {
    const m = run.machine;
    const ids = rows.filter((r) => runKey(r.run) === key).map((r) => `\`${r.id}\``);
    lines.push(
      `- ${run.date}: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB RAM, Node ${m.node}, ${m.os}; 1-min load average at start ${run.loadAvg.toFixed(1)} — ${ids.join(', ')}`,
    );
  }
  lines.push(
    '',
    '## How to read',
    '',
    '- **Ratio** = figure ÷ baseline, both from the same run. Compare ratios across commits and machines, not',
    '  absolute figures. For rows marked "lower is better", a ratio going up is a regression.',
    '- A ratio moving by less than ~20 % between two runs is within the noise of a shared 2-core machine; rerun',
    '  before drawing conclusions, and look at the min–max spreads in the notes.',
    '- A high load average in the machine line means the run competed with other work: latencies',
    '  (milliseconds) suffer more than CPU-time figures, which count only the measured process.',
    '- Each row\'s own "How to read" note (above) says what its baseline is and what its ratio means.',
    '- Each benchmark checks its own validity (e.g. packets really forwarded and received) and fails rather than',
    '  print a meaningless number.',
    '',
    DATA_START,
    JSON.stringify({ rows }, null, 1),
    DATA_END,
    '',
  );
  return lines.join('\n');
}

const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const failures = [];
let rows = readPrevious().filter((r) =>
  available.some((id) => r.id === id || r.id.startsWith(`${id}/`)),
);
for (const fileId of selected) {
  console.log(`\n── bench ${fileId}`);
  const outcome = await runOne(fileId);
  if (outcome.problems.length) {
    failures.push(`${fileId}: ${outcome.problems.join('; ')}`);
    console.log(
      `  ✗ ${fileId} failed after ${outcome.seconds.toFixed(0)} s: ${outcome.problems.join('; ')}`,
    );
    continue;
  }
  console.log(`  ✓ ${fileId} in ${outcome.seconds.toFixed(0)} s`);
  const run = { date, machine: machine(), loadAvg: outcome.loadAvg };
  rows = rows.filter((r) => r.id !== fileId && !r.id.startsWith(`${fileId}/`));
  rows.push(...outcome.results.map((r) => ({ ...r, run })));
}
rows.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
if (rows.length) {
  writeFileSync(docPath, render(rows));
  console.log(`\nWrote docs/performance.md (${rows.length} rows).`);
}
if (failures.length) {
  console.log('\nFailed (previous rows, if any, kept):');
  for (const f of failures) console.log(`  ✗ ${f}`);
  process.exit(1);
}
