/**
 * `CallClockController`: a one-second clock that runs only while a call has started.
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Ticks `now` once a second while `getStartedAt()` returns a time, and re-renders the host on
 * each tick; idle otherwise. The interval lives while the host is connected.
 * @internal
 */
export class CallClockController implements ReactiveController {
  private readonly host: ReactiveControllerHost;
  private readonly getStartedAt: () => number | undefined;
  private readonly intervalMs: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Epoch milliseconds of the last tick (or of the last host update while a call runs). */
  now = Date.now();

  constructor(
    host: ReactiveControllerHost,
    getStartedAt: () => number | undefined,
    intervalMs = 1000,
  ) {
    this.host = host;
    this.getStartedAt = getStartedAt;
    this.intervalMs = intervalMs;
    host.addController(this);
  }

  /** Seconds since the call started, or undefined before it started. */
  get elapsedSeconds(): number | undefined {
    const started = this.getStartedAt();
    return started === undefined ? undefined : (this.now - started) / 1000;
  }

  hostConnected(): void {
    this.timer = setInterval(() => {
      if (this.getStartedAt() === undefined) return;
      this.now = Date.now();
      this.host.requestUpdate();
    }, this.intervalMs);
  }

  hostUpdate(): void {
    if (this.getStartedAt() !== undefined) this.now = Date.now();
  }

  hostDisconnected(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
