/**
 * A scriptable {@link QueueClientLike} for `<consult-queue>` tests and stories: no token server.
 * @packageDocumentation
 */
import type { QueueEntry } from '../contract.js';
import { Emitter } from '../emitter.js';
import type { ConsultError } from '../errors.js';
import type { QueueClientLike, QueueEventMap, QueueState } from '../queue.js';
import type { Unsubscribe } from '../types.js';

/** One recorded command of a {@link FakeQueue}. @public */
export interface FakeQueueCall {
  method: 'start' | 'admit' | 'deny' | 'close';
  args: unknown[];
}

/**
 * A queue the test drives: `simulateSnapshot`, `simulateWaiting`, `simulateLeft`, `simulateError`.
 * `admit`/`deny` are recorded and take the person out of the queue; `failNext` makes the next
 * one reject.
 * @public
 */
export class FakeQueue implements QueueClientLike {
  readonly calls: FakeQueueCall[] = [];
  private current: QueueState = { status: 'idle', waiting: [], error: undefined };
  private readonly emitter = new Emitter<QueueEventMap>();
  private readonly listeners = new Set<(state: QueueState) => void>();
  private nextFailure: ConsultError | undefined;

  get state(): QueueState {
    return this.current;
  }

  subscribe(listener: (state: QueueState) => void): Unsubscribe {
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
    this.calls.push({ method: 'start', args: [] });
    if (this.current.status === 'idle') this.set({ status: 'connecting' });
  }

  admit(consultId: string, userId: string): Promise<void> {
    return this.decide('admit', consultId, userId);
  }

  deny(consultId: string, userId: string, reason?: string): Promise<void> {
    return this.decide('deny', consultId, userId, reason);
  }

  close(): void {
    this.calls.push({ method: 'close', args: [] });
    this.set({ status: 'closed' });
  }

  /** The whole queue (no `waiting` events, like a stream's first snapshot). */
  simulateSnapshot(waiting: readonly QueueEntry[]): void {
    this.set({ status: 'live', waiting: [...waiting], error: undefined });
  }

  /** Someone starts waiting. */
  simulateWaiting(entry: QueueEntry): void {
    this.set({ status: 'live', waiting: [...this.current.waiting, entry] });
    this.emitter.emit('waiting', entry);
  }

  /** Someone is no longer waiting. */
  simulateLeft(consultId: string, userId: string): void {
    const entry = this.current.waiting.find(
      (e) => e.consultId === consultId && e.userId === userId,
    );
    if (!entry) return;
    this.set({ waiting: this.current.waiting.filter((e) => e !== entry) });
    this.emitter.emit('left', entry);
  }

  /** The stream was refused for good. */
  simulateError(error: ConsultError): void {
    this.set({ status: 'error', error });
    this.emitter.emit('error', error);
  }

  /** The next `admit`/`deny` rejects with `error`. */
  failNext(error: ConsultError): void {
    this.nextFailure = error;
  }

  private async decide(
    method: 'admit' | 'deny',
    consultId: string,
    userId: string,
    reason?: string,
  ): Promise<void> {
    this.calls.push({
      method,
      args: reason === undefined ? [consultId, userId] : [consultId, userId, reason],
    });
    await Promise.resolve();
    const failure = this.nextFailure;
    if (failure) {
      this.nextFailure = undefined;
      this.emitter.emit('error', failure);
      throw failure;
    }
    this.simulateLeft(consultId, userId);
  }

  private set(patch: Partial<QueueState>): void {
    this.current = { ...this.current, ...patch };
    for (const l of [...this.listeners]) l(this.current);
    this.emitter.emit('stateChanged', this.current);
  }
}
