/**
 * The providers' queue across consults: `GET /api/queue` and its event stream.
 *
 * The binding of users to consults (claim, callback, hook) answers yes or no for one consult at a
 * time; it cannot list a provider's consults. So the queue starts from the other side: the
 * candidates are the open consults anyone waits in (at most {@link MAX_QUEUE_CONSULTS}, longest
 * waiting first), each kept only when the binding allows the provider `lobby.read` there. A
 * stream caches each answer for {@link AUTHORIZATION_CACHE_MS}; a failing binding (503) counts as
 * "no" until it is asked again. Every consult whose waiting people a provider is shown is audited
 * (`queue.read`).
 *
 * A stream follows every instance's events through {@link EventHub.tap} (PostgreSQL NOTIFY across
 * instances, in-process on PGlite): a wake-up of a consult whose `lobby`/`ended` events moved
 * re-reads that consult's waiting list once for all streams of this instance. Every event carries
 * whole state (the queue, or one consult's part of it), so a resumed stream (`Last-Event-ID`)
 * starts again with the `queue` snapshot and loses nothing.
 */
import type { LobbyEntry, QueueEntry, QueueServerEventMap } from '../../../src/contract.js';
import type { AuthenticatedUser } from '../auth.js';
import { ApiError, errorMessage } from '../errors.js';
import type { EventHub } from '../events.js';
import type { Logger } from '../logger.js';
import type { QueueRepository } from '../repositories/queue.js';
import type { AccessControl } from './access.js';
import type { AuditLog } from './audit-log.js';

/** How many consults with waiting people one queue considers. */
export const MAX_QUEUE_CONSULTS = 500;
/** How long a stream trusts the binding's answer for one consult. */
export const AUTHORIZATION_CACHE_MS = 10_000;
/** Queue streams one provider may hold (per instance). */
const MAX_STREAMS_PER_USER = 5;

export interface QueueServiceDeps {
  rows: QueueRepository;
  hub: EventHub;
  access: AccessControl;
  audit: AuditLog;
  logger: Logger;
  heartbeatMs: number;
  now?: () => number;
}

type QueueEventName = keyof QueueServerEventMap;

interface ConsultChange {
  consultId: string;
  version: number;
  waiting: LobbyEntry[];
}

/** One provider's open stream. */
interface QueueStream {
  user: AuthenticatedUser;
  /** What the stream has shown of each consult (JSON of its waiting list). */
  shown: Map<string, string>;
  /** The binding's answers: consult → allowed until. */
  allowed: Map<string, { allowed: boolean; until: number }>;
  /** Serialises this stream's deliveries. */
  chain: Promise<void>;
  send(name: QueueEventName, data: unknown, id: number): void;
  close(retryMs?: number): void;
}

const encoder = new TextEncoder();

export class QueueService {
  private readonly streams = new Set<QueueStream>();
  private readonly perUser = new Map<string, number>();
  /** Per consult: the last version read, and whether a read is running / wanted again. */
  private readonly consults = new Map<
    string,
    { version: number; reading: boolean; again: boolean }
  >();
  private untap: (() => void) | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: QueueServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Everyone waiting in the consults `user` may act on, oldest first; audited per consult. */
  async list(user: AuthenticatedUser, ip: string | undefined): Promise<QueueEntry[]> {
    const consultIds = await this.allowedConsults(user, new Map());
    const waiting = await this.deps.rows.waitingIn(consultIds);
    await this.auditShown(user, new Set(waiting.map((w) => w.consultId)), ip);
    return waiting;
  }

  /** Opens a provider's queue stream (429 beyond the per-user cap). */
  open(user: AuthenticatedUser, ip: string | undefined, signal: AbortSignal): Response {
    const count = this.perUser.get(user.id) ?? 0;
    if (count >= MAX_STREAMS_PER_USER)
      throw new ApiError(429, 'rate-limited', 'Too many open queue streams.');
    this.perUser.set(user.id, count + 1);
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    let closed = false;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const write = (text: string): void => {
      if (closed || !controller) return;
      try {
        controller.enqueue(encoder.encode(text));
      } catch {
        stream.close();
      }
    };
    const stream: QueueStream = {
      user,
      shown: new Map(),
      allowed: new Map(),
      chain: Promise.resolve(),
      send: (name, data, id) =>
        write(`id: ${id}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`),
      close: (retryMs) => {
        if (closed) return;
        if (retryMs !== undefined) write(`retry: ${retryMs}\n\n`);
        closed = true;
        if (heartbeat) clearInterval(heartbeat);
        try {
          controller?.close();
        } catch {
          // already closed
        }
        this.streams.delete(stream);
        const n = (this.perUser.get(user.id) ?? 1) - 1;
        if (n <= 0) this.perUser.delete(user.id);
        else this.perUser.set(user.id, n);
        if (this.streams.size === 0) {
          this.untap?.();
          this.untap = undefined;
        }
      },
    };
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
        heartbeat = setInterval(() => write(': heartbeat\n\n'), this.deps.heartbeatMs);
        heartbeat.unref?.();
        write('retry: 3000\n\n');
        this.streams.add(stream);
        this.untap ??= this.deps.hub.tap((consultId) => this.wake(consultId));
        this.enqueue(stream, () => this.sendSnapshot(stream, ip));
      },
      cancel: () => stream.close(),
    });
    signal.addEventListener('abort', () => stream.close(), { once: true });
    return new Response(body, {
      status: 200,
      headers: {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      },
    });
  }

  /** Ends every queue stream (shutdown); `retryMs` tells clients how soon to reconnect. */
  closeAll(retryMs?: number): void {
    for (const s of [...this.streams]) s.close(retryMs);
  }

  private enqueue(stream: QueueStream, work: () => Promise<void>): void {
    stream.chain = stream.chain.then(work).catch((e: unknown) => {
      this.deps.logger.warn('queue stream update failed', { error: errorMessage(e) });
    });
  }

  private async sendSnapshot(stream: QueueStream, ip: string | undefined): Promise<void> {
    const id = await this.deps.rows.maxEventId();
    const consultIds = await this.allowedConsults(stream.user, stream.allowed);
    const waiting = await this.deps.rows.waitingIn(consultIds);
    stream.shown.clear();
    for (const consultId of consultIds) {
      const mine = waiting.filter((w) => w.consultId === consultId);
      stream.shown.set(consultId, JSON.stringify(mine.map(({ consultId: _c, ...e }) => e)));
    }
    await this.auditShown(stream.user, new Set(waiting.map((w) => w.consultId)), ip);
    stream.send('queue', { waiting }, id);
  }

  /** A consult's events moved (on any instance): re-read its queue once if they were its own. */
  private wake(consultId: string): void {
    if (consultId === '*') {
      for (const s of this.streams) this.enqueue(s, () => this.sendSnapshot(s, undefined));
      return;
    }
    let c = this.consults.get(consultId);
    if (!c) this.consults.set(consultId, (c = { version: -1, reading: false, again: false }));
    if (c.reading) {
      c.again = true;
      return;
    }
    c.reading = true;
    const entry = c;
    let empty = false;
    void (async () => {
      try {
        do {
          entry.again = false;
          const { version, waiting } = await this.deps.rows.consultQueue(consultId);
          empty = waiting.length === 0;
          if (version === entry.version) continue;
          entry.version = version;
          const change: ConsultChange = { consultId, version, waiting };
          for (const s of this.streams) this.enqueue(s, () => this.deliver(s, change));
        } while (entry.again);
      } catch (e) {
        this.deps.logger.warn('queue read failed', { consultId, error: errorMessage(e) });
      } finally {
        entry.reading = false;
        // Forget consults nobody waits in, so the map stays the size of the live queue.
        if (empty || this.streams.size === 0) this.consults.delete(consultId);
      }
    })();
  }

  private async deliver(stream: QueueStream, change: ConsultChange): Promise<void> {
    const json = JSON.stringify(change.waiting);
    const shown = stream.shown.get(change.consultId);
    if (shown === json) return;
    if (shown === undefined) {
      if (change.waiting.length === 0) return;
      if (!(await this.isAllowed(stream.user, change.consultId, stream.allowed))) return;
      await this.auditShown(stream.user, new Set([change.consultId]), undefined);
    }
    if (change.waiting.length === 0) stream.shown.delete(change.consultId);
    else stream.shown.set(change.consultId, json);
    stream.send(
      'queue-consult',
      { consultId: change.consultId, waiting: change.waiting },
      change.version,
    );
  }

  /** The candidate consults the binding lets `user` read the waiting room of. */
  private async allowedConsults(
    user: AuthenticatedUser,
    cache: QueueStream['allowed'],
  ): Promise<string[]> {
    const candidates = await this.deps.rows.consultsWithWaiting(MAX_QUEUE_CONSULTS);
    const out: string[] = [];
    // A few at a time: a callback binding is an HTTP call per consult (then cached).
    for (let i = 0; i < candidates.length; i += 8) {
      const batch = candidates.slice(i, i + 8);
      const answers = await Promise.all(batch.map((id) => this.isAllowed(user, id, cache)));
      batch.forEach((id, k) => answers[k] && out.push(id));
    }
    return out;
  }

  private async isAllowed(
    user: AuthenticatedUser,
    consultId: string,
    cache: QueueStream['allowed'],
  ): Promise<boolean> {
    const now = this.now();
    const hit = cache.get(consultId);
    if (hit && hit.until > now) return hit.allowed;
    let allowed: boolean;
    try {
      allowed = await this.deps.access.allowed(user, consultId, 'lobby.read');
    } catch (e) {
      this.deps.logger.warn('queue authorization failed', { consultId, error: errorMessage(e) });
      return false;
    }
    cache.set(consultId, { allowed, until: now + AUTHORIZATION_CACHE_MS });
    return allowed;
  }

  private async auditShown(
    user: AuthenticatedUser,
    consultIds: ReadonlySet<string>,
    ip: string | undefined,
  ): Promise<void> {
    for (const consultId of consultIds)
      await this.deps.audit.record(consultId, 'queue.read', user, { ip });
  }
}
