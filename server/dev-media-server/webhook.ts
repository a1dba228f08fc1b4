/**
 * Webhook (CDR event) delivery. Events are queued and POSTed one at a time in order by a background
 * loop, so signalling never waits on the receiver. Network errors and 5xx answers are retried with
 * exponential backoff; other non-2xx answers are logged and dropped (OpenVidu does not retry those).
 */
import type { Logger } from './logger.js';
import type { TimerRegistry } from './timers.js';

export type WebhookEventName =
  | 'sessionCreated'
  | 'sessionDestroyed'
  | 'participantJoined'
  | 'participantLeft'
  | 'webrtcConnectionCreated'
  | 'webrtcConnectionDestroyed'
  | 'recordingStatusChanged'
  | 'signalSent'
  | 'filterEventDispatched';

export interface WebhookOptions<E extends string = WebhookEventName> {
  /** Endpoint receiving `POST` with the event JSON. */
  url: string;
  /** Extra headers, as an object or as OpenVidu-style `"Name: value"` strings. */
  headers?: Record<string, string> | string[];
  /** Events to send (default: all). */
  events?: E[];
  /** Attempts per event including the first (default 5). */
  maxAttempts?: number;
  /** First retry delay in ms, doubled on each retry (default 500). */
  retryBaseMs?: number;
  /** Per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Events kept in memory at most; the oldest are dropped beyond it (default 10 000). */
  maxQueue?: number;
}

export interface WebhookStats {
  queued: number;
  delivered: number;
  failed: number;
  inFlight: boolean;
}

export function normalizeHeaders(headers: WebhookOptions['headers']): Record<string, string> {
  if (!headers) return {};
  if (!Array.isArray(headers)) return { ...headers };
  const out: Record<string, string> = {};
  for (const h of headers) {
    const i = h.indexOf(':');
    if (i > 0) out[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  return out;
}

/**
 * How a queued event becomes the request body and its own headers, on each attempt (so a signature
 * that expires is made afresh for a retry). The default is the event as JSON with `Content-Type:
 * application/json`.
 */
export type WebhookEncoder = (
  body: object,
) => Promise<{ body: string; headers: Record<string, string> }>;

const encodeJson: WebhookEncoder = (body) =>
  Promise.resolve({
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });

export class WebhookSender<E extends string = WebhookEventName> {
  private readonly queue: object[] = [];
  private readonly headers: Record<string, string>;
  private readonly events: ReadonlySet<string> | undefined;
  private running = false;
  private closed = false;
  private delivered = 0;
  private failed = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  private readonly abort = new AbortController();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: WebhookOptions<E>,
    private readonly timers: TimerRegistry,
    private readonly logger: Logger,
    private readonly encode: WebhookEncoder = encodeJson,
  ) {
    this.headers = normalizeHeaders(options.headers);
    this.events = options.events ? new Set(options.events) : undefined;
  }

  /** Queues one event; never throws, never blocks. */
  send(event: E, body: object): void {
    if (this.closed) return;
    if (this.events && !this.events.has(event)) return;
    const max = this.options.maxQueue ?? 10_000;
    if (this.queue.length >= max) {
      this.queue.shift();
      this.failed++;
      this.logger.warn('webhook queue full, dropping oldest event', { max });
    }
    this.queue.push({ ...body, event });
    if (!this.running) void this.run();
  }

  stats(): WebhookStats {
    return {
      queued: this.queue.length,
      delivered: this.delivered,
      failed: this.failed,
      inFlight: this.running,
    };
  }

  /** Resolves when the queue is empty (or after `timeoutMs`). */
  idle(timeoutMs: number): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = this.timers.set(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve();
      }, timeoutMs);
      const done = (): void => {
        this.timers.clear(t);
        resolve();
      };
      this.idleWaiters.push(done);
    });
  }

  /** Gives the queue up to `drainMs` to empty, then aborts whatever is left. */
  async close(drainMs = 1000): Promise<void> {
    await this.idle(drainMs);
    this.closed = true;
    this.queue.length = 0;
    this.abort.abort();
    this.timers.clear(this.retryTimer);
    this.wakeRetry?.();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const body = this.queue[0];
        await this.deliver(body as object);
        this.queue.shift();
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async deliver(body: object): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    const base = this.options.retryBaseMs ?? 500;
    const event = (body as { event?: string }).event;
    for (let attempt = 1; attempt <= maxAttempts && !this.closed; attempt++) {
      let retryable: boolean;
      try {
        const encoded = await this.encode(body);
        const res = await fetch(this.options.url, {
          method: 'POST',
          headers: { ...encoded.headers, ...this.headers },
          body: encoded.body,
          signal: AbortSignal.any([
            this.abort.signal,
            AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
          ]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.delivered++;
          return;
        }
        retryable = res.status >= 500;
        this.logger.warn('webhook answered with an error status', {
          event,
          status: res.status,
          attempt,
        });
      } catch (err) {
        retryable = true;
        this.logger.warn('webhook delivery failed', {
          event,
          attempt,
          error: err instanceof Error ? err.name : 'unknown',
        });
      }
      if (!retryable || attempt === maxAttempts || this.closed) break;
      await new Promise<void>((resolve) => {
        this.wakeRetry = resolve;
        this.retryTimer = this.timers.set(resolve, base * 2 ** (attempt - 1));
      });
      this.retryTimer = undefined;
      this.wakeRetry = undefined;
    }
    this.failed++;
  }
}
