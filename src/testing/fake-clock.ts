/**
 * A clock tests drive by hand: timers fire only when `advance()` moves time past them.
 * @packageDocumentation
 */
import type { Clock } from '../platform.js';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
  every?: number;
}

/** Lets pending promise callbacks (and fetch streams) run; a yield, not a sleep. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => globalThis.setTimeout(resolve, 0));
}

/**
 * A {@link Clock} with manual time.
 * @example
 * ```ts
 * const clock = new FakeClock();
 * await clock.advance(2000); // runs every timer due within 2 s, in order
 * ```
 * @public
 */
export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now = (): number => this.time;

  setTimeout = (fn: () => void, ms: number): unknown => this.add(fn, ms);

  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  setInterval = (fn: () => void, ms: number): unknown => this.add(fn, ms, Math.max(1, ms));

  clearInterval = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  /** Timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Delay of the next timer from now, or undefined. */
  get nextDelay(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers.values()) next = next === undefined ? t.due : Math.min(next, t.due);
    return next === undefined ? undefined : next - this.time;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await flushMicrotasks();
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers.values()) {
        if (t.due <= target && (!next || t.due < next.due)) next = t;
      }
      if (!next) break;
      this.time = next.due;
      if (next.every !== undefined) next.due += next.every;
      else this.timers.delete(next.id);
      next.fn();
      await flushMicrotasks();
    }
    this.time = target;
    await flushMicrotasks();
  }

  /** Fires the next pending timer (whatever its delay). */
  async runNext(): Promise<void> {
    const delay = this.nextDelay;
    if (delay !== undefined) await this.advance(Math.max(0, delay));
  }

  private add(fn: () => void, ms: number, every?: number): number {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.time + Math.max(0, ms), fn, ...(every ? { every } : {}) });
    return id;
  }
}
