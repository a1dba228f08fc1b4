/**
 * Coalescing rate limiter for keyframe requests (PLI) sent to one publisher.
 *
 * A request inside the quiet interval is not dropped: one trailing request is scheduled for the end of the
 * interval, so a subscriber that connects right after another still gets its keyframe, while a storm of
 * subscriber PLIs/FIRs turns into at most one upstream PLI per interval.
 */
export class KeyframeLimiter {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Upstream PLIs actually sent. */
  sent = 0;

  constructor(
    private readonly send: () => boolean,
    private readonly minIntervalMs: number,
  ) {}

  request(): void {
    if (this.closed || this.timer) return;
    const wait = this.lastSentAt + this.minIntervalMs - Date.now();
    if (wait <= 0) {
      this.fire();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, wait);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    if (this.closed) return;
    // Only a PLI that really left counts against the interval (no video source yet → nothing sent).
    if (this.send()) {
      this.lastSentAt = Date.now();
      this.sent++;
    }
  }
}
