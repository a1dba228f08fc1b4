/**
 * Server-Sent Events. Every event is first persisted (table `events`, a monotonically increasing
 * `id` that is the SSE `id:`), then announced; each open stream reads the rows after its cursor that
 * its user may see. Announcements go through PostgreSQL `NOTIFY consult_kit_events` when the
 * database supports LISTEN (PGlite does, and so does a real PostgreSQL shared by several instances:
 * that is the multi-instance path), else through an in-process listener set.
 */
import type {
  ConsultServerEventMap,
  ConsultServerEventName,
  ParticipantRole,
} from '../../src/contract.js';
import type { Logger } from './logger.js';
import type { EventRow, Store } from './store.js';

const CHANNEL = 'consult_kit_events';

export interface Audience {
  /** Only users with this role see the event. */
  role?: ParticipantRole;
  /** Only this user sees the event. */
  userId?: string;
}

/** What services need of the hub: persist an event and wake its streams. */
export type EventPublisher = Pick<EventHub, 'publish'>;

export class EventHub {
  private readonly listeners = new Map<string, Set<() => void>>();
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  /** Subscribes to database notifications when the database can LISTEN. */
  async start(): Promise<void> {
    const db = this.store.db;
    if (db.listen) this.unlisten = await db.listen(CHANNEL, (payload) => this.wake(payload));
  }

  async stop(): Promise<void> {
    const u = this.unlisten;
    this.unlisten = undefined;
    if (u) await u().catch(() => undefined);
  }

  /** Persists the event, then wakes every stream of the consult (on every instance). */
  async publish<K extends ConsultServerEventName>(
    consultId: string,
    name: K,
    data: ConsultServerEventMap[K],
    audience: Audience = {},
  ): Promise<number> {
    const id = await this.store.insertEvent(consultId, name, data, audience);
    if (this.unlisten) {
      await this.store.db.query('select pg_notify($1, $2)', [CHANNEL, consultId]);
    } else {
      this.wake(consultId);
    }
    this.logger.debug('event published', { consultId, event: name, eventId: id });
    return id;
  }

  subscribe(consultId: string, listener: () => void): () => void {
    let set = this.listeners.get(consultId);
    if (!set) this.listeners.set(consultId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(consultId);
    };
  }

  private wake(consultId: string): void {
    // `*`: the LISTEN connection came back after a drop; notifications may be lost, so every
    // stream re-reads after its cursor.
    const sets = consultId === '*' ? [...this.listeners.values()] : [this.listeners.get(consultId)];
    for (const set of sets) for (const l of [...(set ?? [])]) l();
  }
}

export interface SseStreamOptions {
  hub: EventHub;
  store: Store;
  consultId: string;
  user: { id: string; role: ParticipantRole };
  /** From `Last-Event-ID`; `undefined` for a fresh stream. */
  lastEventId: number | undefined;
  /** Events sent first on a fresh stream (current state), tagged with the cursor id. */
  snapshot: (cursor: number) => Promise<EventRow[]>;
  heartbeatMs: number;
  logger: Logger;
  /** Called once when the stream ends (client gone or server closing). */
  onClose?: () => void;
}

export interface SseStream {
  response: Response;
  /** Ends the stream; `retryMs` first tells the client how soon to reconnect (server shutdown). */
  close(retryMs?: number): void;
}

const encoder = new TextEncoder();

function frame(e: EventRow): string {
  const data = JSON.stringify(e.data ?? null);
  return `id: ${e.id}\nevent: ${e.name}\ndata: ${data}\n\n`;
}

export function openSseStream(options: SseStreamOptions): SseStream {
  const { hub, store, consultId, user, logger } = options;
  let cursor = 0;
  let closed = false;
  let pumping = false;
  let again = false;
  let unsubscribe: (() => void) | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;

  const write = (text: string): void => {
    if (closed || !controllerRef) return;
    try {
      controllerRef.enqueue(encoder.encode(text));
    } catch {
      close();
    }
  };

  const pump = async (): Promise<void> => {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        for (;;) {
          if (closed) return;
          const rows = await store.eventsAfter(consultId, cursor, user);
          for (const r of rows) {
            write(frame(r));
            cursor = r.id;
          }
          if (rows.length < 500) break;
        }
      } while (again && !closed);
    } catch (error) {
      logger.warn('event stream read failed', {
        consultId,
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      pumping = false;
    }
  };

  function close(retryMs?: number): void {
    if (closed) return;
    if (retryMs !== undefined) write(`retry: ${retryMs}\n\n`);
    closed = true;
    unsubscribe?.();
    if (heartbeat) clearInterval(heartbeat);
    try {
      controllerRef?.close();
    } catch {
      // already closed or errored
    }
    options.onClose?.();
  }

  const stream = new ReadableStream<Uint8Array>({
    start: (controller) => {
      controllerRef = controller;
      // Subscribe before reading the cursor so nothing published in between is missed.
      unsubscribe = hub.subscribe(consultId, () => void pump());
      heartbeat = setInterval(() => write(': heartbeat\n\n'), options.heartbeatMs);
      heartbeat.unref?.();
      write('retry: 3000\n\n');
      void (async () => {
        try {
          if (options.lastEventId !== undefined) {
            cursor = options.lastEventId;
          } else {
            cursor = await store.maxEventId(consultId);
            for (const e of await options.snapshot(cursor)) write(frame(e));
          }
        } catch (error) {
          logger.warn('event stream setup failed', {
            consultId,
            error: error instanceof Error ? error.message : String(error),
          });
        }
        await pump();
      })();
    },
    cancel: () => close(),
  });

  return {
    response: new Response(stream, {
      status: 200,
      headers: {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      },
    }),
    close,
  };
}
