/**
 * The queue client itself, loaded on demand by {@link createQueueClient} (so pages that only import
 * the SDK do not pay for it).
 * @packageDocumentation
 */
import type { LobbyEntry, QueueEntry } from './contract.js';
import { Emitter } from './emitter.js';
import { ConsultError } from './errors.js';
import { HttpClient } from './http.js';
import { silentLogger } from './logger.js';
import { browserPlatform } from './platform.js';
import type { QueueClientLike, QueueClientOptions, QueueEventMap, QueueState } from './queue.js';
import type { ServerEvents } from './server-events.js';
import type { Unsubscribe } from './types.js';

const key = (e: { consultId: string; userId: string }): string => `${e.consultId}\n${e.userId}`;

function isEntry(v: unknown): v is LobbyEntry {
  const e = v as Partial<LobbyEntry> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.userId === 'string' &&
    typeof e.displayName === 'string' &&
    typeof e.since === 'string'
  );
}

const byWaitingSince = (a: QueueEntry, b: QueueEntry): number =>
  a.since < b.since ? -1 : a.since > b.since ? 1 : key(a) < key(b) ? -1 : 1;

/** @internal */
export class QueueClient implements QueueClientLike {
  private current: QueueState = { status: 'idle', waiting: [], error: undefined };
  private readonly emitter: Emitter<QueueEventMap>;
  private readonly listeners = new Set<(state: QueueState) => void>();
  private readonly http: HttpClient;
  private readonly base: string;
  private events: ServerEvents | undefined;
  private started = false;
  /** False until the first snapshot: the people in it are not announced as newly waiting. */
  private seeded = false;

  constructor(private readonly options: QueueClientOptions) {
    const platform = options.platform ?? browserPlatform();
    const logger = options.logger ?? silentLogger;
    this.emitter = new Emitter(logger);
    this.base = options.apiUrl.replace(/\/+$/, '');
    this.http = new HttpClient({
      fetch: options.fetch ?? platform.fetch,
      clock: platform.clock,
      logger,
      ...(options.auth !== undefined ? { auth: options.auth } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }

  get state(): QueueState {
    return this.current;
  }

  subscribe(listener: (state: QueueState) => void): Unsubscribe {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  on<K extends keyof QueueEventMap>(
    event: K,
    listener: (detail: QueueEventMap[K]) => void,
  ): Unsubscribe {
    return this.emitter.on(event, listener);
  }

  start(): void {
    if (this.started || this.current.status === 'closed') return;
    this.started = true;
    this.set({ status: 'connecting' });
    const platform = this.options.platform ?? browserPlatform();
    const logger = this.options.logger ?? silentLogger;
    // Loaded on demand, like the session's event stream (it brings the SSE reader).
    import('./server-events.js').then(
      ({ ServerEvents }) => {
        if (this.current.status === 'closed') return;
        this.events = new ServerEvents({
          url: `${this.base}/queue/events`,
          fetch: this.options.fetch ?? platform.fetch,
          clock: platform.clock,
          logger,
          headers: () => this.http.authHeaders(),
          onEvent: (name, data) => this.handle(name, data),
          onFatal: (error) => this.fail(error),
          ...(this.options.retry?.random ? { random: this.options.retry.random } : {}),
        });
        this.events.start();
      },
      (error: unknown) => this.fail(ConsultError.from(error, 'network-error')),
    );
  }

  async admit(consultId: string, userId: string): Promise<void> {
    await this.decide(consultId, userId, 'admit', {});
  }

  async deny(consultId: string, userId: string, reason?: string): Promise<void> {
    await this.decide(consultId, userId, 'deny', reason ? { reason } : {});
  }

  close(): void {
    if (this.current.status === 'closed') return;
    this.events?.stop();
    this.set({ status: 'closed' });
    this.emitter.clear();
    this.listeners.clear();
  }

  private async decide(
    consultId: string,
    userId: string,
    action: 'admit' | 'deny',
    body: Record<string, string>,
  ): Promise<void> {
    const url = `${this.base}/consults/${encodeURIComponent(consultId)}/lobby/${encodeURIComponent(userId)}/${action}`;
    try {
      await this.http.request(url, { method: 'POST', body });
    } catch (error) {
      const e = ConsultError.from(error);
      this.emitter.emit('error', e);
      throw e;
    }
    // The stream confirms it; until then, the person is no longer shown as waiting.
    this.replace(consultId, (w) => w.filter((e) => e.userId !== userId));
  }

  private handle(name: string, data: unknown): void {
    if (this.current.status === 'closed') return;
    const d = data as { waiting?: unknown; consultId?: unknown } | null;
    if (name === 'queue' && Array.isArray(d?.waiting)) {
      const next = d.waiting.filter(
        (e): e is QueueEntry => isEntry(e) && typeof (e as QueueEntry).consultId === 'string',
      );
      this.apply(next.sort(byWaitingSince));
    } else if (name === 'queue-consult' && typeof d?.consultId === 'string') {
      const consultId = d.consultId;
      const list = Array.isArray(d.waiting) ? d.waiting.filter(isEntry) : [];
      this.replace(consultId, () => list.map((e) => ({ ...e, consultId })));
    }
  }

  /** Replaces one consult's part of the queue. */
  private replace(consultId: string, next: (waiting: QueueEntry[]) => QueueEntry[]): void {
    const mine = this.current.waiting.filter((e) => e.consultId === consultId);
    const others = this.current.waiting.filter((e) => e.consultId !== consultId);
    this.apply([...others, ...next(mine)].sort(byWaitingSince));
  }

  /** Sets the new queue and announces who came and who went. */
  private apply(waiting: QueueEntry[]): void {
    const before = new Map(this.current.waiting.map((e) => [key(e), e]));
    const after = new Set(waiting.map(key));
    const announce = this.seeded;
    this.seeded = true;
    this.set({ status: 'live', waiting, error: undefined });
    if (!announce) return;
    for (const e of waiting) if (!before.has(key(e))) this.emitter.emit('waiting', e);
    for (const [k, e] of before) if (!after.has(k)) this.emitter.emit('left', e);
  }

  private fail(error: ConsultError): void {
    if (this.current.status === 'closed') return;
    this.set({ status: 'error', error });
    this.emitter.emit('error', error);
  }

  private set(patch: Partial<QueueState>): void {
    this.current = { ...this.current, ...patch };
    for (const l of [...this.listeners]) l(this.current);
    this.emitter.emit('stateChanged', this.current);
  }
}
