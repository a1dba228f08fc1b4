/**
 * `OwnSessionController`: a session an element builds for itself, and disposes of.
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ConsultSessionLike } from '../../src/index.js';

/**
 * Holds the session its host built (through `build`, which returns undefined when the host lacks
 * what it needs) and disposes of it (`leave()`) when replaced or when the host leaves the document.
 * A move in the DOM disconnects and reconnects in one task, so disposal waits a microtask and
 * happens only if the host is still detached. A session the host was given is never touched here.
 * @internal
 */
export class OwnSessionController implements ReactiveController {
  private readonly host: ReactiveControllerHost & { readonly isConnected: boolean };
  private readonly build: () => ConsultSessionLike | undefined;
  private own: ConsultSessionLike | undefined;

  constructor(
    host: ReactiveControllerHost & { readonly isConnected: boolean },
    build: () => ConsultSessionLike | undefined,
  ) {
    this.host = host;
    this.build = build;
    host.addController(this);
  }

  /** The session built by the host, if any. */
  get session(): ConsultSessionLike | undefined {
    return this.own;
  }

  /** Builds a session unless one exists (errors from `build` propagate). */
  ensure(): void {
    if (this.own || !this.host.isConnected) return;
    this.own = this.build();
    if (this.own) this.host.requestUpdate();
  }

  /** Disposes of the current session and builds a new one. */
  rebuild(): void {
    this.dispose();
    this.ensure();
  }

  /** Leaves and forgets the session built by the host. */
  dispose(): void {
    const own = this.own;
    this.own = undefined;
    if (own) void own.leave().catch(() => undefined);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    queueMicrotask(() => {
      if (!this.host.isConnected) this.dispose();
    });
  }
}
