/**
 * A session's connection lifecycle: the only writer of `state.connection` and
 * `state.connectionReason` (each step computed by `transition()`), the end of a session (a final
 * state, its error, the session's lifetime aborted) and the media backend's connection events:
 * `reconnecting`, `reconnected` and `disconnected` (left, evicted, closed by the server, or lost
 * for good).
 * @packageDocumentation
 */
import type { MediaBackend } from './backend.js';
import { ConsultError } from './errors.js';
import { transition, type ConnectionStatus } from './state-machine.js';
import type { StateStore } from './store.js';
import type {
  ConnectionReason,
  ConnectionState,
  SessionEventMap,
  SessionState,
  Unsubscribe,
} from './types.js';

type NonFinal = Exclude<ConnectionState, 'disconnected' | 'failed'>;

/** What the lifecycle needs from its session. @internal */
export interface LifecycleContext {
  store: StateStore<SessionState>;
  emit<K extends keyof SessionEventMap>(event: K, detail: SessionEventMap[K]): void;
  now(): number;
  /** Aborted when the session ends. */
  lifetime: AbortController;
  /** The session ended: what waits to be sent fails. */
  ended(): void;
  /** The connection is back: what waited goes out. */
  recovered(): void;
  /** Releases the backend, media, event stream and timers. */
  teardown(): Promise<void>;
}

/** @internal */
export class ConnectionLifecycle {
  private readonly ctx: LifecycleContext;

  constructor(ctx: LifecycleContext) {
    this.ctx = ctx;
  }

  /** Applies a transition computed by `transition()`. */
  apply(status: ConnectionStatus): void {
    this.ctx.store.update((s) => ({
      ...s,
      connection: status.connection,
      connectionReason: status.reason,
    }));
  }

  /** Ends the session in a final state (no-op when already final). */
  end(to: 'disconnected' | 'failed', reason: ConnectionReason, error?: ConsultError): void {
    const { store, emit, lifetime } = this.ctx;
    const c = store.state.connection;
    if (c === 'disconnected' || c === 'failed') return;
    const from: NonFinal = c;
    const status = transition(from, to, reason);
    store.update((s) => ({
      ...s,
      connection: status.connection,
      connectionReason: status.reason,
      ...(error ? { error } : {}),
    }));
    if (error) emit('error', { error });
    lifetime.abort();
    this.ctx.ended();
  }

  /** The session ended because the server closed the consultation; records `endedAt`. */
  closedByServer(): void {
    this.ctx.store.update((s) => ({ ...s, endedAt: this.ctx.now() }));
    this.end('disconnected', 'session-closed');
  }

  isFinal(): boolean {
    const c = this.ctx.store.state.connection;
    return c === 'disconnected' || c === 'failed';
  }

  /** Follows the connection events of `backend`; returns the functions that stop it. */
  attach(backend: MediaBackend): Unsubscribe[] {
    const { store } = this.ctx;
    return [
      backend.on('reconnecting', () => {
        const c = store.state.connection;
        if (c === 'connected') this.apply(transition(c, 'reconnecting', 'network-lost'));
      }),
      backend.on('reconnected', () => {
        const c = store.state.connection;
        if (c === 'reconnecting') {
          this.apply(transition(c, 'connected', 'network-recovered'));
          this.ctx.recovered();
        }
      }),
      backend.on('disconnected', ({ reason }) => this.disconnected(reason)),
    ];
  }

  private disconnected(reason: string): void {
    if (this.isFinal()) return;
    switch (reason) {
      case 'disconnect':
        // We asked for it (leave); leave() has already ended the session.
        return;
      case 'forceDisconnectByUser':
      case 'forceDisconnectByServer':
        this.end('disconnected', 'evicted');
        break;
      case 'sessionClosedByServer':
        this.closedByServer();
        break;
      default:
        this.end(
          'failed',
          'network-lost',
          new ConsultError(
            'connection-lost',
            'The connection was lost and could not be recovered.',
            {
              details: { reason },
            },
          ),
        );
    }
    void this.ctx.teardown();
  }
}
