/** `consult-request-leave`. @packageDocumentation */

/** Detail of {@link ConsultRequestLeaveEvent}. @public */
export interface ConsultRequestLeaveEventDetail {
  /** Always `user` today: the leave button was pressed. */
  source: 'user';
}

/**
 * The user asked to leave. Cancelable: `preventDefault()` keeps them in the call (the portal then shows its own flow).
 * @public
 */
export class ConsultRequestLeaveEvent extends Event {
  static readonly eventName = 'consult-request-leave';
  readonly detail: ConsultRequestLeaveEventDetail;

  constructor(detail: ConsultRequestLeaveEventDetail) {
    super(ConsultRequestLeaveEvent.eventName, { bubbles: true, composed: true, cancelable: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-request-leave': ConsultRequestLeaveEvent;
  }
}
