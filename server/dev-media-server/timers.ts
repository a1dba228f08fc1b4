/**
 * Every timer the server arms goes through one registry, so `stats().timersPending` can prove that a
 * departed participant left nothing behind and `close()` can clear what is left.
 */
export class TimerRegistry {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Arms a one-shot timer; the returned handle can be passed to {@link clear}. */
  set(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    // Never keep the process alive just for a dev-server timer.
    t.unref();
    this.pending.add(t);
    return t;
  }

  clear(t: NodeJS.Timeout | undefined): void {
    if (t === undefined) return;
    clearTimeout(t);
    this.pending.delete(t);
  }

  get size(): number {
    return this.pending.size;
  }

  clearAll(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
