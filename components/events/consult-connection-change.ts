/** `consult-connection-change`. @packageDocumentation */
import type { ConnectionReason, ConnectionState } from '../../src/index.js';

/** Detail of {@link ConsultConnectionChangeEvent}. @public */
export interface ConsultConnectionChangeEventDetail {
  connection: ConnectionState;
  previous: ConnectionState;
  reason: ConnectionReason;
}

/**
 * The session moved to another connection state.
 * @public
 */
export class ConsultConnectionChangeEvent extends Event {
  static readonly eventName = 'consult-connection-change';
  readonly detail: ConsultConnectionChangeEventDetail;

  constructor(detail: ConsultConnectionChangeEventDetail) {
    super(ConsultConnectionChangeEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-connection-change': ConsultConnectionChangeEvent;
  }
}
