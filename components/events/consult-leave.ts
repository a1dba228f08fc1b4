/** `consult-leave`. @packageDocumentation */
import type { ConnectionReason, ConnectionState } from '../../src/index.js';

/** Detail of {@link ConsultLeaveEvent}. @public */
export interface ConsultLeaveEventDetail {
  /** `disconnected` or `failed`. */
  connection: ConnectionState;
  reason: ConnectionReason;
  /** Call duration in seconds, when the call had started. */
  duration: number | undefined;
}

/**
 * The local user left the call, or the call ended for them (final connection state).
 * @public
 */
export class ConsultLeaveEvent extends Event {
  static readonly eventName = 'consult-leave';
  readonly detail: ConsultLeaveEventDetail;

  constructor(detail: ConsultLeaveEventDetail) {
    super(ConsultLeaveEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-leave': ConsultLeaveEvent;
  }
}
