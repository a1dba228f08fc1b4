/**
 * A small typed event emitter. Listeners are called synchronously in subscription order; a
 * listener that throws is reported to the logger and does not stop the others.
 * @packageDocumentation
 */
import { silentLogger, type Logger } from './logger.js';
import type { Unsubscribe } from './types.js';

/**
 * Typed emitter over an event map `{ name: detail }`.
 * @internal
 */
export class Emitter<M extends object> {
  private readonly listeners = new Map<keyof M, Set<(detail: never) => void>>();
  private readonly logger: Logger;

  constructor(logger: Logger = silentLogger) {
    this.logger = logger;
  }

  /** Adds a listener; returns its unsubscribe function. */
  on<K extends keyof M>(event: K, listener: (detail: M[K]) => void): Unsubscribe {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const entry = listener as (detail: never) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Calls the listeners of `event` with `detail`. */
  emit<K extends keyof M>(event: K, detail: M[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (detail: M[K]) => void)(detail);
      } catch (error) {
        this.logger.error('event listener threw', { event: String(event), error });
      }
    }
  }

  /** Number of listeners of `event` (tests). */
  listenerCount(event: keyof M): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  /** Removes every listener. */
  clear(): void {
    this.listeners.clear();
  }
}
