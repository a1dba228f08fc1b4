/**
 * Abortable waiting on the injected clock (never on real timers directly).
 * @packageDocumentation
 */
import { ConsultError } from './errors.js';
import type { Clock } from './platform.js';

/**
 * Resolves after `ms` on `clock`; rejects with `ConsultError('aborted')` when `signal` aborts,
 * clearing its timer.
 * @internal
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(ConsultError.aborted(signal.reason));
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(ConsultError.aborted(signal?.reason));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Races `promise` against `signal`: rejects with `ConsultError('aborted')` as soon as the signal
 * aborts (the underlying work must be cancelled separately).
 * @internal
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(ConsultError.aborted(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(ConsultError.aborted(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Exponential backoff with "equal jitter": half the capped exponential delay plus a random share
 * of the other half, so retries spread out but never collapse to zero.
 * @internal
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const capped = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(capped / 2 + (capped / 2) * random());
}
