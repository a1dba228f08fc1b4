/**
 * The connection state machine. The transition table is data; `transition(from, to)` accepts only
 * targets the table allows for `from` at the type level, and throws at run time when a widened or
 * cast value slips through. The session changes `connection` nowhere else.
 *
 * ```
 * idle → fetching-token → (waiting →) connecting → connected ⇄ reconnecting → disconnected | failed
 * ```
 * Every non-final state can also end in `disconnected` (left, aborted) or `failed` (error).
 * `disconnected` and `failed` are final: a new attempt needs a new session.
 * @packageDocumentation
 */
import type { ConnectionReason, ConnectionState } from './types.js';

/**
 * Allowed targets of each connection state.
 * @public
 */
export const CONNECTION_TRANSITIONS = {
  idle: ['fetching-token', 'disconnected', 'failed'],
  'fetching-token': ['waiting', 'connecting', 'disconnected', 'failed'],
  waiting: ['connecting', 'disconnected', 'failed'],
  connecting: ['connected', 'disconnected', 'failed'],
  connected: ['reconnecting', 'disconnected', 'failed'],
  reconnecting: ['connected', 'disconnected', 'failed'],
  disconnected: [],
  failed: [],
} as const satisfies Readonly<Record<ConnectionState, readonly ConnectionState[]>>;

/** The states `From` may move to. @public */
export type AllowedTarget<From extends ConnectionState> =
  (typeof CONNECTION_TRANSITIONS)[From][number];

/** The connection slice of the session state. @public */
export interface ConnectionStatus<S extends ConnectionState = ConnectionState> {
  readonly connection: S;
  readonly reason: ConnectionReason;
}

/** States with no way out. @public */
export const FINAL_CONNECTION_STATES: ReadonlySet<ConnectionState> = new Set<ConnectionState>([
  'disconnected',
  'failed',
]);

/**
 * True when the table allows `from → to`. Narrows `to` so the result can be passed to
 * {@link transition}.
 * @public
 */
export function canTransition<From extends ConnectionState>(
  from: From,
  to: ConnectionState,
): to is AllowedTarget<From> {
  return (CONNECTION_TRANSITIONS[from] as readonly ConnectionState[]).includes(to);
}

/**
 * Computes the next connection status. Only targets allowed for `from` type-check; a value that
 * bypassed the types (a cast, a widened union) throws an `Error` instead of corrupting state.
 * @example
 * ```ts
 * transition('connected', 'reconnecting', 'network-lost'); // ok
 * transition('idle', 'connected', 'media-connected');      // compile error
 * ```
 * @public
 */
export function transition<From extends ConnectionState, To extends AllowedTarget<From>>(
  from: From,
  to: To,
  reason: ConnectionReason,
): ConnectionStatus<To> {
  if (!canTransition(from, to)) {
    throw new Error(`Invalid connection transition ${from} → ${to}`);
  }
  return { connection: to, reason };
}
