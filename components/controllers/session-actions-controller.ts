/**
 * `SessionActionsController`: runs session commands for an element, turning failures into the
 * element's error state and a `consult-error` event (elements never throw from listeners).
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ConsultErrorEvent } from '../events/consult-error.js';
import { ConsultError, type ConsultSessionLike, type DeviceCheckReport } from '../../src/index.js';

/** How to join: with the chosen devices, with the microphone only, or with neither. @public */
export type ConsultJoinMode = 'normal' | 'audio-only' | 'no-media';

/** Joins `session` in `mode`, with the name when one is given. @internal */
export async function joinSession(
  session: ConsultSessionLike,
  mode: ConsultJoinMode,
  options: {
    audioOnly: boolean;
    displayName: string;
    signal: AbortSignal;
    deviceCheck?: DeviceCheckReport;
  },
): Promise<void> {
  if (mode === 'audio-only' || (options.audioOnly && mode === 'normal')) {
    await session.setAudioOnly(true);
  } else if (mode === 'no-media') {
    await session.setCameraEnabled(false).catch(() => undefined);
    await session.setMicrophoneEnabled(false).catch(() => undefined);
  }
  await session.connect({
    signal: options.signal,
    ...(options.displayName ? { displayName: options.displayName } : {}),
    ...(options.deviceCheck ? { deviceCheck: options.deviceCheck } : {}),
  });
}

/**
 * `act(fn)` runs a command on the current session; `join(mode, options)` joins once at a time
 * (`joining` is true meanwhile) and is aborted when the host leaves the document. A failure other
 * than an abort becomes `error` and is dispatched from the host as `consult-error`.
 * @internal
 */
export class SessionActionsController implements ReactiveController {
  private readonly host: ReactiveControllerHost & EventTarget;
  private readonly getSession: () => ConsultSessionLike | undefined;
  private joinAbort: AbortController | undefined;
  /** The last failure, until cleared or the next join. */
  error: ConsultError | undefined;
  /** True while a join runs. */
  joining = false;

  constructor(
    host: ReactiveControllerHost & EventTarget,
    getSession: () => ConsultSessionLike | undefined,
  ) {
    this.host = host;
    this.getSession = getSession;
    host.addController(this);
  }

  /** Runs `action` on the session (nothing without one). */
  async act(action: (session: ConsultSessionLike) => Promise<unknown>): Promise<void> {
    const session = this.getSession();
    if (!session) return;
    try {
      await action(session);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Records and dispatches a failure (an abort is not one). */
  fail(error: unknown): void {
    const consultError = ConsultError.from(error);
    if (consultError.code === 'aborted') return;
    this.error = consultError;
    this.host.requestUpdate();
    this.host.dispatchEvent(new ConsultErrorEvent({ error: consultError }));
  }

  /** Forgets the last failure. */
  clearError(): void {
    this.error = undefined;
    this.host.requestUpdate();
  }

  /** Joins the session (ignored while a join runs). */
  async join(
    mode: ConsultJoinMode,
    options: { audioOnly: boolean; displayName: string; deviceCheck?: DeviceCheckReport },
  ): Promise<void> {
    if (this.joining) return;
    this.error = undefined;
    this.joining = true;
    this.host.requestUpdate();
    try {
      const session = this.getSession();
      if (!session) throw ConsultError.invalidState('The room has no session to join.');
      this.joinAbort = new AbortController();
      await joinSession(session, mode, { ...options, signal: this.joinAbort.signal });
    } catch (error) {
      this.fail(error);
    } finally {
      this.joining = false;
      this.host.requestUpdate();
    }
  }

  /** Aborts a running join. */
  abort(): void {
    this.joinAbort?.abort();
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.abort();
  }
}
