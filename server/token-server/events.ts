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
import type { AddressedEventRow, EventRow, Store } from './store.js';
import { errorMessage } from '../shared/errors.js';

const CHANNEL = 'consult_kit_events';
/** Rows read per query. */
const PAGE = 500;

export interface Audience {
  /** Only users with this role see the event. */
  role?: ParticipantRole;
  /** Only this user sees the event. */
  userId?: string;
}

/** What services need of the hub: persist an event and wake its streams. */
export type EventPublisher = Pick<EventHub, 'publish'>;

/** An open stream as the fan-out sees it. */
export interface FeedReader {
  readonly user: { id: string; role: ParticipantRole };
  /** Id of the last event this stream has passed (sent or skipped). */
  cursor: number;
  /** False until the stream knows its cursor (fresh streams read theirs first). */
  ready: boolean;
  /** Called in id order for each event after `cursor` that the user's audience allows. */
  deliver(row: EventRow): void;
}

/** True when the event's audience includes `user`. */
export function addressedTo(row: AddressedEventRow, user: FeedReader['user']): boolean {
  return (
    (row.audienceRole === undefined || row.audienceRole === user.role) &&
    (row.audienceUser === undefined || row.audienceUser === user.id)
  );
}

interface ConsultFeed {
  readers: Set<FeedReader>;
  pumping: boolean;
  again: boolean;
}

/**
 * Persists events and fans them out. The streams of one consultation share one feed: a new event
 * costs one read of the event log (from the oldest cursor among them), whatever the number of
 * streams, and each stream takes the rows after its cursor that its user may see.
 */
export class EventHub {
  private readonly feeds = new Map<string, ConsultFeed>();
  /** Listeners of every consult's wake-ups (the providers' queue). */
  private readonly taps = new Set<(consultId: string) => void>();
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

  /** Adds a stream to its consult's feed; returns the function that removes it. */
  attach(consultId: string, reader: FeedReader): () => void {
    let feed = this.feeds.get(consultId);
    if (!feed)
      this.feeds.set(consultId, (feed = { readers: new Set(), pumping: false, again: false }));
    feed.readers.add(reader);
    return () => {
      feed.readers.delete(reader);
      if (feed.readers.size === 0 && !feed.pumping) this.feeds.delete(consultId);
    };
  }

  /**
   * Calls `listener` with the consult id of every event published from now on, on any instance
   * (`*` when notifications may have been lost); returns the function that stops it.
   */
  tap(listener: (consultId: string) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  /**
   * Reads the consult's new events once and hands them to its ready streams. `*`: the LISTEN
   * connection came back after a drop; notifications may be lost, so every feed re-reads after its
   * streams' cursors.
   */
  wake(consultId: string): void {
    for (const tap of this.taps) tap(consultId);
    if (consultId === '*') for (const id of [...this.feeds.keys()]) void this.pump(id);
    else void this.pump(consultId);
  }

  private async pump(consultId: string): Promise<void> {
    const feed = this.feeds.get(consultId);
    if (!feed) return;
    if (feed.pumping) {
      feed.again = true;
      return;
    }
    feed.pumping = true;
    try {
      do {
        feed.again = false;
        for (;;) {
          const readers = [...feed.readers].filter((r) => r.ready);
          if (readers.length === 0) break;
          const from = readers.reduce((min, r) => Math.min(min, r.cursor), Infinity);
          const rows = await this.store.allEventsAfter(consultId, from, PAGE);
          for (const reader of readers) {
            if (!feed.readers.has(reader)) continue;
            for (const row of rows) {
              if (row.id <= reader.cursor) continue;
              reader.cursor = row.id;
              if (addressedTo(row, reader.user))
                reader.deliver({ id: row.id, name: row.name, data: row.data });
            }
          }
          if (rows.length < PAGE) break;
        }
      } while (feed.again);
    } catch (error) {
      this.logger.warn('event stream read failed', {
        consultId,
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      feed.pumping = false;
      if (feed.readers.size === 0) this.feeds.delete(consultId);
    }
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
  /** Further filter, in event order, on what the audience already allows (default: all). */
  filter?: (event: EventRow) => boolean;
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
  const { hub, store, consultId, user, logger, filter } = options;
  let closed = false;
  let detach: (() => void) | undefined;
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

  const reader: FeedReader = {
    user,
    cursor: 0,
    ready: false,
    deliver: (row) => {
      if (!filter || filter(row)) write(frame(row));
    },
  };

  function close(retryMs?: number): void {
    if (closed) return;
    if (retryMs !== undefined) write(`retry: ${retryMs}\n\n`);
    closed = true;
    detach?.();
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
      // Join the feed before reading the cursor: the first read after `ready` catches up
      // everything published in between.
      detach = hub.attach(consultId, reader);
      heartbeat = setInterval(() => write(': heartbeat\n\n'), options.heartbeatMs);
      heartbeat.unref?.();
      write('retry: 3000\n\n');
      void (async () => {
        try {
          if (options.lastEventId !== undefined) {
            reader.cursor = options.lastEventId;
          } else {
            reader.cursor = await store.maxEventId(consultId);
            for (const e of await options.snapshot(reader.cursor)) write(frame(e));
          }
        } catch (error) {
          logger.warn('event stream setup failed', {
            consultId,
            error: errorMessage(error),
          });
        }
        reader.ready = true;
        if (!closed) hub.wake(consultId);
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
