/**
 * A minimal snapshot store: one immutable value, replaced (never mutated) on change, with
 * synchronous subscribers. `update` keeps the previous object when the updater returns it unchanged,
 * so identity comparison tells whether anything changed.
 * @packageDocumentation
 */
import { silentLogger, type Logger } from './logger.js';
import type { Unsubscribe } from './types.js';

/** @internal */
export class StateStore<S extends object> {
  private current: S;
  private readonly listeners = new Set<(state: S, previous: S) => void>();
  private readonly logger: Logger;

  constructor(initial: S, logger: Logger = silentLogger) {
    this.current = initial;
    this.logger = logger;
  }

  /** The current snapshot. */
  get state(): S {
    return this.current;
  }

  /**
   * Replaces the snapshot with `updater(current)`. Return the same object to signal "no change".
   * Listeners run after the new snapshot is in place.
   */
  update(updater: (state: S) => S): S {
    const previous = this.current;
    const next = updater(previous);
    if (next === previous) return previous;
    this.current = next;
    for (const listener of [...this.listeners]) {
      try {
        listener(next, previous);
      } catch (error) {
        this.logger.error('state subscriber threw', { error });
      }
    }
    return next;
  }

  /** Calls `listener` on every new snapshot; returns its unsubscribe function. */
  subscribe(listener: (state: S, previous: S) => void): Unsubscribe {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
