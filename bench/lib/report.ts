/**
 * The one contract between a benchmark and `scripts/bench.mjs`: a benchmark prints one JSON line per
 * result (`report()`), anything else it prints is progress for humans. The runner collects the lines
 * whose `type` is `bench-result` and rewrites docs/performance.md from them.
 */

export interface BenchResult {
  /** Unique row id: the file's id (`join-to-first-frame`) or `file-id/variant` (`sfu-cpu/5-calls`). */
  id: string;
  /** One line, what is measured. */
  title: string;
  /** The measured figure (a median, a rate, …). */
  figure: number;
  /** Its unit, e.g. `ms`, `CPU-s per stream-minute`. */
  unit: string;
  /** The same-run reference the figure is compared with. */
  baseline: number;
  baselineUnit: string;
  /** What the baseline is, e.g. `direct RTCPeerConnection loopback in the same browser`. */
  baselineLabel: string;
  /** figure ÷ baseline (both measured in this run, so machine noise mostly cancels out). */
  ratio: number;
  /** Whether a smaller figure (and ratio) is better; shapes the "how to read" hints. */
  lowerIsBetter: boolean;
  /** Shell command that reproduces this row from the repository root. */
  command: string;
  /** Sample counts, spreads, sanity checks: whatever makes the figure trustworthy. */
  notes: string;
  /** How to read this row: what the baseline stands for and what a ratio of 1, < 1, > 1 means. */
  reading?: string;
}

export interface BenchLine extends BenchResult {
  type: 'bench-result';
}

/** Prints one result line for the runner (and for humans, who can read JSON). */
export function report(result: BenchResult): void {
  const line: BenchLine = { type: 'bench-result', ...result };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Progress on stderr, so stdout stays result lines plus short human lines. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

/** Rounds to `digits` significant digits (figures are noisy; more digits only mislead). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

/** Fails the benchmark (exit 1 through the top-level rejection) when a sanity check does not hold. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`benchmark sanity check failed: ${message}`);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every 20 ms; rejects after `timeoutMs`. Every wait in a benchmark is bounded. */
export async function waitUntil(
  what: string,
  predicate: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** The command that runs benchmark `fileId` alone. */
export function commandFor(fileId: string): string {
  return `npm run bench -- ${fileId}`;
}
