/**
 * The provider's queue across consultations: everyone waiting in the consults the provider may
 * act on (`GET {api}/queue`, then the `GET {api}/queue/events` stream), as a snapshot plus typed
 * events, with admit/deny through the consult's waiting-room endpoints.
 * @packageDocumentation
 */
import type { QueueEntry } from './contract.js';
import { ConsultError } from './errors.js';
import type { AuthProvider, RetryOptions } from './http.js';
import type { Logger } from './logger.js';
import type { Platform } from './platform.js';
import type { Unsubscribe } from './types.js';

/** Options of {@link createQueueClient}. @public */
export interface QueueClientOptions {
  /** The token server's API base, e.g. `https://portal.example/api`. */
  apiUrl: string;
  /** The provider's bearer token, or a function called before every request. */
  auth?: AuthProvider;
  /** `fetch` to use (default: the platform's). */
  fetch?: typeof fetch;
  logger?: Logger;
  /** Host dependencies; default {@link browserPlatform}. */
  platform?: Platform;
  /** Per-attempt timeout of requests in ms. Default 10000. */
  timeoutMs?: number;
  retry?: RetryOptions;
}

/**
 * Where the queue stands: `idle` until {@link QueueClientLike.start}, `connecting` until the first
 * snapshot, `live` (a dropped stream reconnects with backoff and stays `live`), `error` when the
 * server refused it for good (see `error`), `closed` after {@link QueueClientLike.close}.
 * @public
 */
export type QueueStatus = 'idle' | 'connecting' | 'live' | 'error' | 'closed';

/** Snapshot of the queue. @public */
export interface QueueState {
  readonly status: QueueStatus;
  /** Everyone waiting, oldest first. */
  readonly waiting: readonly QueueEntry[];
  readonly error: ConsultError | undefined;
}

/** Events of a queue client. @public */
export interface QueueEventMap {
  /** Someone started waiting (not fired for the people already waiting when the queue opens). */
  waiting: QueueEntry;
  /** Someone is no longer waiting (admitted, denied, gone, or their consult ended). */
  left: QueueEntry;
  /** A new snapshot. */
  stateChanged: QueueState;
  /** The stream was refused for good, or an admit/deny failed. */
  error: ConsultError;
}

/**
 * What `<consult-queue>` needs of a queue: a snapshot, `subscribe`, typed `on`, and the commands.
 * @public
 */
export interface QueueClientLike {
  readonly state: QueueState;
  subscribe(listener: (state: QueueState) => void): Unsubscribe;
  on<K extends keyof QueueEventMap>(
    event: K,
    listener: (detail: QueueEventMap[K]) => void,
  ): Unsubscribe;
  /** Opens the stream (idempotent). */
  start(): void;
  /** Admits a waiting person (`POST …/consults/{consultId}/lobby/{userId}/admit`). */
  admit(consultId: string, userId: string): Promise<void>;
  /** Denies a waiting person, optionally with a reason they are shown. */
  deny(consultId: string, userId: string, reason?: string): Promise<void>;
  /** Closes the stream; the client cannot be started again. */
  close(): void;
}

/**
 * Creates a provider's queue client: everyone waiting in the consults the provider may act on,
 * live. Resolves once its code is loaded (a separate chunk, so pages that only import the SDK do not
 * pay for it); then call `start()`, read `state`, and listen for `waiting` to notice someone new.
 * Throws `TypeError` at once without `apiUrl`.
 * @example
 * ```ts
 * const queue = await createQueueClient({ apiUrl: '/api', auth: () => portal.getAccessToken() });
 * queue.on('waiting', (entry) => notify(`${entry.displayName} is waiting`));
 * queue.subscribe((state) => render(state.waiting));
 * queue.start();
 * await queue.admit(entry.consultId, entry.userId);
 * ```
 * @public
 */
export function createQueueClient(options: QueueClientOptions): Promise<QueueClientLike> {
  if (typeof options !== 'object' || options === null || typeof options.apiUrl !== 'string')
    throw new TypeError('createQueueClient needs apiUrl');
  return import('./queue-client.js').then(
    ({ QueueClient }) => new QueueClient(options),
    (cause: unknown) => Promise.reject(ConsultError.from(cause, 'network-error')),
  );
}
