/**
 * `SessionController`: the only way an element reads SDK state
 * (docs/contributing.md#state-and-events).
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type {
  ConsultSessionLike,
  SessionEventMap,
  SessionState,
  Unsubscribe,
} from '../../src/index.js';

type EventBinding = {
  [K in keyof SessionEventMap]: {
    event: K;
    listener: (detail: SessionEventMap[K]) => void;
  };
}[keyof SessionEventMap];

/** Shallow equality: identical values, or arrays whose items are identical. */
function sameSlice(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((item, i) => Object.is(item, b[i]));
}

/**
 * Subscribes its host to a session's state snapshots and events while the host is connected.
 * @remarks The session comes from a getter, so the host can swap sessions: the controller notices in
 * `hostUpdate` and moves its subscriptions. With a selector, the host re-renders only when the
 * selected slice changes (identity, or item identity for arrays).
 * @internal
 */
export class SessionController<Slice = SessionState> implements ReactiveController {
  private readonly host: ReactiveControllerHost;
  private readonly getSession: () => ConsultSessionLike | undefined;
  private readonly selector: ((state: SessionState) => Slice) | undefined;
  private readonly bindings: EventBinding[] = [];
  private readonly stateListeners: Array<(state: SessionState, previous: SessionState) => void> =
    [];
  private subscribed: ConsultSessionLike | undefined;
  private unsubscribes: Unsubscribe[] = [];
  private connected = false;
  private lastState: SessionState | undefined;
  private lastSlice: Slice | undefined;

  constructor(
    host: ReactiveControllerHost,
    getSession: () => ConsultSessionLike | undefined,
    selector?: (state: SessionState) => Slice,
  ) {
    this.host = host;
    this.getSession = getSession;
    this.selector = selector;
    host.addController(this);
  }

  /** The session being observed. */
  get session(): ConsultSessionLike | undefined {
    return this.subscribed ?? this.getSession();
  }

  /** The current snapshot, or undefined without a session. */
  get state(): SessionState | undefined {
    return this.session?.state;
  }

  /** Listens to an SDK event of whichever session is current, for the host's connected life. */
  on<K extends keyof SessionEventMap>(
    event: K,
    listener: (detail: SessionEventMap[K]) => void,
  ): void {
    this.bindings.push({ event, listener } as EventBinding);
  }

  /** Called with every new snapshot (before the host re-renders), e.g. to emit DOM events. */
  onState(listener: (state: SessionState, previous: SessionState) => void): void {
    this.stateListeners.push(listener);
  }

  hostConnected(): void {
    this.connected = true;
    this.sync();
  }

  hostUpdate(): void {
    this.sync();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.teardown();
  }

  private sync(): void {
    const session = this.connected ? this.getSession() : undefined;
    if (session === this.subscribed) return;
    this.teardown();
    if (!session) return;
    this.subscribed = session;
    this.lastState = session.state;
    this.lastSlice = this.selector ? this.selector(session.state) : undefined;
    this.unsubscribes.push(session.subscribe((state) => this.handleState(state)));
    for (const binding of this.bindings) {
      this.unsubscribes.push(
        session.on(binding.event, binding.listener as (detail: unknown) => void),
      );
    }
    // A new session is a new slice, whatever the selector says.
    this.host.requestUpdate();
  }

  private handleState(state: SessionState): void {
    const previous = this.lastState ?? state;
    this.lastState = state;
    for (const listener of this.stateListeners) listener(state, previous);
    if (this.selector) {
      const slice = this.selector(state);
      if (sameSlice(slice, this.lastSlice)) return;
      this.lastSlice = slice;
    }
    this.host.requestUpdate();
  }

  private teardown(): void {
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.unsubscribes = [];
    this.subscribed = undefined;
    this.lastState = undefined;
  }
}
