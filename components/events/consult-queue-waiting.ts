/** `consult-queue-waiting`. @packageDocumentation */
import type { QueueEntry } from '../../src/index.js';

/** Detail of {@link ConsultQueueWaitingEvent}. @public */
export interface ConsultQueueWaitingEventDetail {
  entry: QueueEntry;
}

/**
 * Someone started waiting in one of the provider's consultations (not fired for the people
 * already waiting when the queue opened).
 * @public
 */
export class ConsultQueueWaitingEvent extends Event {
  static readonly eventName = 'consult-queue-waiting';
  readonly detail: ConsultQueueWaitingEventDetail;

  constructor(detail: ConsultQueueWaitingEventDetail) {
    super(ConsultQueueWaitingEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-queue-waiting': ConsultQueueWaitingEvent;
  }
}
