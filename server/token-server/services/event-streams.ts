/**
 * The open Server-Sent Event streams. A fresh stream starts with the state its user may see (their
 * own admission or denial, or the queue for providers; consent; the latest recording; the end),
 * then follows the event log; a resumed one (`Last-Event-ID`) only follows the log.
 */
import type { AuthenticatedUser } from '../auth.js';
import type { EventHub, SseStream } from '../events.js';
import { openSseStream } from '../events.js';
import type { Logger } from '../logger.js';
import type { EventRow, Store } from '../store.js';
import { publicRecording } from '../store.js';
import type { ConsentService } from './consent.js';

export interface EventStreamsDeps {
  hub: EventHub;
  store: Store;
  consent: ConsentService;
  logger: Logger;
  /** SSE heartbeat interval in ms. */
  heartbeatMs: number;
}

export class EventStreams {
  private readonly streams = new Set<SseStream>();

  constructor(private readonly deps: EventStreamsDeps) {}

  /** Opens a stream for `user`; it ends when `signal` aborts or on {@link closeAll}. */
  open(
    consultId: string,
    user: AuthenticatedUser,
    lastEventId: number | undefined,
    signal: AbortSignal,
  ): Response {
    const { hub, store, logger, heartbeatMs } = this.deps;
    const stream = openSseStream({
      hub,
      store,
      consultId,
      user,
      lastEventId,
      snapshot: (cursor) => this.snapshot(consultId, user, cursor),
      heartbeatMs,
      logger,
      onClose: () => this.streams.delete(stream),
    });
    this.streams.add(stream);
    signal.addEventListener('abort', () => stream.close(), { once: true });
    return stream.response;
  }

  /** Ends every stream; `retryMs` tells clients to reconnect that soon (to another instance). */
  closeAll(retryMs?: number): void {
    for (const s of [...this.streams]) s.close(retryMs);
  }

  /** The current state as events, all tagged with the stream's starting cursor. */
  private async snapshot(
    consultId: string,
    user: AuthenticatedUser,
    cursor: number,
  ): Promise<EventRow[]> {
    const { store, consent } = this.deps;
    const out: EventRow[] = [];
    if (user.role !== 'provider') {
      const lobby = await store.lobbyStatus(consultId, user.id);
      if (
        lobby &&
        lobby.status !== 'waiting' &&
        !(await store.hasJoinedSince(consultId, user.id, lobby.decidedAt))
      ) {
        const last = await store.lastEventFor(consultId, user.id, ['admitted', 'denied']);
        if (last) out.push(last);
      }
    } else {
      out.push({ id: cursor, name: 'lobby', data: { waiting: await store.waiting(consultId) } });
    }
    const state = await consent.state(consultId);
    if (state.requested || state.entries.length > 0)
      out.push({ id: cursor, name: 'consent', data: state });
    const latest = (await store.listRecordings(consultId))[0];
    if (latest) out.push({ id: cursor, name: 'recording', data: publicRecording(latest) });
    const consult = await store.getConsult(consultId);
    if (consult?.endedAt)
      out.push({ id: cursor, name: 'ended', data: { reason: consult.endedReason ?? 'ended' } });
    return out;
  }
}
