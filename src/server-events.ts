/**
 * The token server's event stream (`GET {base}/consults/{id}/events`, Server-Sent Events) read with
 * `@microsoft/fetch-event-source`: a fresh bearer header per connection, `Last-Event-ID` resume,
 * bounded exponential backoff on the injected clock, and a stop with a ConsultError on 401/403/404.
 * @remarks Each call of `fetchEventSource` is one connection attempt; its own retry timer is never
 * used (our `onerror` rethrows), so backoff runs on the platform clock and tests can drive it.
 * The library's cleanup touches `document`, so this runs in browsers (Node tests install stubs).
 * @packageDocumentation
 */
import { fetchEventSource, type EventSourceMessage } from '@microsoft/fetch-event-source';
import { ConsultError } from './errors.js';
import { errorForStatus } from './http.js';
import type { Logger } from './logger.js';
import type { Clock } from './platform.js';
import { backoffDelay, sleep } from './timers.js';

/** Options of {@link ServerEvents}. @internal */
export interface ServerEventsOptions {
  url: string;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  /** Headers of each connection attempt (the bearer token, fetched fresh each time). */
  headers(): Promise<Record<string, string>>;
  onEvent(name: string, data: unknown, id: string | undefined): void;
  /** The stream is open (also after a reconnect). */
  onOpen?(): void;
  /** The server refused the stream for good (401/403/404); it will not reconnect. */
  onFatal(error: ConsultError): void;
  /** Backoff: first delay and cap in ms. Default 1000 and 30000. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

const FATAL_STATUS: ReadonlySet<number> = new Set([401, 403, 404, 410]);

class FatalStreamError extends Error {
  readonly error: ConsultError;
  constructor(error: ConsultError) {
    super(error.message);
    this.error = error;
  }
}

/** @internal */
export class ServerEvents {
  private readonly options: ServerEventsOptions;
  private readonly stopper = new AbortController();
  private current: AbortController | undefined;
  private started = false;
  /** Id of the last event received, sent as `Last-Event-ID` on reconnect. */
  lastEventId: string | undefined;

  constructor(options: ServerEventsOptions) {
    this.options = options;
  }

  get running(): boolean {
    return this.started && !this.stopper.signal.aborted;
  }

  start(): void {
    if (this.started || this.stopper.signal.aborted) return;
    this.started = true;
    void this.run();
  }

  /** Closes the stream and cancels any pending reconnect. */
  stop(): void {
    this.stopper.abort();
    this.current?.abort();
  }

  private async run(): Promise<void> {
    const { clock, logger } = this.options;
    let attempt = 0;
    while (!this.stopper.signal.aborted) {
      try {
        const opened = await this.connectOnce();
        if (opened) attempt = 0;
      } catch (error) {
        if (error instanceof FatalStreamError) {
          this.stopper.abort();
          this.options.onFatal(error.error);
          return;
        }
        logger.debug('event stream failed; reconnecting', {
          code: error instanceof ConsultError ? error.code : 'network-error',
        });
      }
      if (this.stopper.signal.aborted) return;
      const delay = backoffDelay(
        attempt++,
        this.options.baseDelayMs ?? 1000,
        this.options.maxDelayMs ?? 30_000,
        this.options.random ?? Math.random,
      );
      try {
        await sleep(clock, delay, this.stopper.signal);
      } catch {
        return;
      }
    }
  }

  /** One connection: resolves when the stream ends (true if it had opened). */
  private async connectOnce(): Promise<boolean> {
    const controller = new AbortController();
    this.current = controller;
    let opened = false;
    const headers = await this.options.headers();
    if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId;
    headers.accept = 'text/event-stream';
    if (this.stopper.signal.aborted) return false;
    await fetchEventSource(this.options.url, {
      headers,
      signal: controller.signal,
      openWhenHidden: true,
      fetch: this.options.fetch,
      onopen: async (response) => {
        if (FATAL_STATUS.has(response.status)) {
          const body: unknown = await response.json().catch(() => undefined);
          throw new FatalStreamError(errorForStatus(response.status, body));
        }
        const type = response.headers.get('content-type') ?? '';
        if (!response.ok || !type.startsWith('text/event-stream')) {
          throw errorForStatus(response.ok ? 502 : response.status, undefined);
        }
        opened = true;
        this.options.onOpen?.();
      },
      onmessage: (message) => this.dispatch(message),
      onerror: (error: unknown) => {
        // Rethrowing ends this attempt; run() decides about retrying on the platform clock.
        throw error;
      },
    });
    return opened;
  }

  private dispatch(message: EventSourceMessage): void {
    if (message.id) this.lastEventId = message.id;
    if (!message.event || message.event === 'message') return;
    let data: unknown = undefined;
    if (message.data !== '') {
      try {
        data = JSON.parse(message.data);
      } catch {
        this.options.logger.warn('dropped an event with invalid JSON', { event: message.event });
        return;
      }
    }
    try {
      this.options.onEvent(message.event, data, message.id || undefined);
    } catch (error) {
      this.options.logger.error('server event handler threw', { event: message.event, error });
    }
  }
}
