/**
 * Records typed events for assertions, modelled on LiveKit's `subscribeToEvents`: `waitFor(name)`
 * consumes the first buffered (or next) event of that name; `none(name)` tells that none is
 * buffered.
 * @packageDocumentation
 */
import type { SessionEventMap, Unsubscribe } from '../types.js';

/** Anything with a typed `on()` returning an unsubscribe function. @public */
export interface EventSource<M> {
  on<K extends keyof M>(event: K, listener: (detail: M[K]) => void): Unsubscribe;
}

/** One recorded event. @public */
export interface RecordedEvent<M, K extends keyof M = keyof M> {
  name: K;
  detail: M[K];
}

/** The recorder {@link recordEvents} returns. @public */
export interface EventRecorder<M> {
  /** Every event recorded so far (consumed or not), oldest first. */
  readonly all: readonly RecordedEvent<M>[];
  /**
   * Resolves with the first buffered event of `name` matching `predicate` (removing it from the
   * buffer), or with the next one. Rejects after `timeoutMs` (default 2000) so a missing event
   * fails the test instead of hanging it.
   */
  waitFor<K extends keyof M>(
    name: K,
    options?: { predicate?: (detail: M[K]) => boolean; timeoutMs?: number },
  ): Promise<M[K]>;
  /** True when no unconsumed event of `name` is buffered. */
  none(name: keyof M): boolean;
  /** Removes and returns every buffered event of `name`. */
  take<K extends keyof M>(name: K): M[K][];
  /** Empties the buffer. */
  clear(): void;
  /** Stops recording. */
  dispose(): void;
}

/** Every event name of a session, for {@link recordEvents}. @public */
export const SESSION_EVENT_NAMES: readonly (keyof SessionEventMap)[] = [
  'stateChanged',
  'connectionChanged',
  'participantJoined',
  'participantLeft',
  'messageReceived',
  'messageStatusChanged',
  'unreadChanged',
  'recordingChanged',
  'consentRequested',
  'lobbyChanged',
  'devicesChanged',
  'audioOnlySuggested',
  'muteRequested',
  'error',
];

interface Waiter {
  name: PropertyKey;
  predicate: (detail: unknown) => boolean;
  resolve(detail: unknown): void;
}

/**
 * Starts recording `names` from `source`.
 * @example
 * ```ts
 * const events = recordEvents(session, SESSION_EVENT_NAMES);
 * backend.simulateParticipantJoined({ connectionId: 'c2' });
 * const { participant } = await events.waitFor('participantJoined');
 * assert.ok(events.none('error'));
 * ```
 * @public
 */
export function recordEvents<M>(
  source: EventSource<M>,
  names: readonly (keyof M)[],
): EventRecorder<M> {
  const all: RecordedEvent<M>[] = [];
  let buffer: RecordedEvent<M>[] = [];
  const waiters: Waiter[] = [];
  const unsubscribes = names.map((name) =>
    source.on(name, (detail) => {
      const event = { name, detail } as RecordedEvent<M>;
      all.push(event);
      const i = waiters.findIndex((w) => w.name === name && w.predicate(detail));
      const waiter = i >= 0 ? waiters.splice(i, 1)[0] : undefined;
      if (waiter) waiter.resolve(detail);
      else buffer.push(event);
    }),
  );
  return {
    get all() {
      return all;
    },
    waitFor(name, options = {}) {
      const predicate = (options.predicate ?? (() => true)) as (detail: unknown) => boolean;
      const i = buffer.findIndex((e) => e.name === name && predicate(e.detail));
      if (i >= 0) {
        const [event] = buffer.splice(i, 1);
        return Promise.resolve(event?.detail as M[typeof name]);
      }
      return new Promise((resolve, reject) => {
        const timer = globalThis.setTimeout(() => {
          const j = waiters.indexOf(waiter);
          if (j >= 0) waiters.splice(j, 1);
          reject(new Error(`Timed out waiting for event "${String(name)}"`));
        }, options.timeoutMs ?? 2000);
        const waiter: Waiter = {
          name,
          predicate,
          resolve: (detail) => {
            globalThis.clearTimeout(timer);
            resolve(detail as M[typeof name]);
          },
        };
        waiters.push(waiter);
      });
    },
    none(name) {
      return !buffer.some((e) => e.name === name);
    },
    take(name) {
      const taken = buffer.filter((e) => e.name === name);
      buffer = buffer.filter((e) => e.name !== name);
      return taken.map((e) => e.detail as M[typeof name]);
    },
    clear() {
      buffer = [];
    },
    dispose() {
      for (const unsubscribe of unsubscribes) unsubscribe();
    },
  };
}

/**
 * Resolves when `predicate(state)` holds (checked now and on every change); rejects after
 * `timeoutMs` (default 2000).
 * @public
 */
export function waitForState<S>(
  source: { readonly state: S; subscribe(listener: (state: S) => void): Unsubscribe },
  predicate: (state: S) => boolean,
  timeoutMs = 2000,
): Promise<S> {
  if (predicate(source.state)) return Promise.resolve(source.state);
  return new Promise((resolve, reject) => {
    const timer = globalThis.setTimeout(() => {
      unsubscribe();
      reject(new Error('Timed out waiting for a state'));
    }, timeoutMs);
    const unsubscribe = source.subscribe((state) => {
      if (!predicate(state)) return;
      globalThis.clearTimeout(timer);
      unsubscribe();
      resolve(state);
    });
  });
}
