/** `consult-queue-open`. @packageDocumentation */
import type { QueueEntry } from '../../src/index.js';

/** Detail of {@link ConsultQueueOpenEvent}. @public */
export interface ConsultQueueOpenEventDetail {
  consultId: string;
  /** The waiting person whose Open button was chosen. */
  entry: QueueEntry;
}

/**
 * The provider chose to open a consultation from the queue (the portal shows its room).
 * @public
 */
export class ConsultQueueOpenEvent extends Event {
  static readonly eventName = 'consult-queue-open';
  readonly detail: ConsultQueueOpenEventDetail;

  constructor(detail: ConsultQueueOpenEventDetail) {
    super(ConsultQueueOpenEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-queue-open': ConsultQueueOpenEvent;
  }
}
