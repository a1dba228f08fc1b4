/** `consult-unread-change`. @packageDocumentation */

/** Detail of {@link ConsultUnreadChangeEvent}. @public */
export interface ConsultUnreadChangeEventDetail {
  unread: number;
}

/**
 * The number of unread chat messages changed.
 * @public
 */
export class ConsultUnreadChangeEvent extends Event {
  static readonly eventName = 'consult-unread-change';
  readonly detail: ConsultUnreadChangeEventDetail;

  constructor(detail: ConsultUnreadChangeEventDetail) {
    super(ConsultUnreadChangeEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-unread-change': ConsultUnreadChangeEvent;
  }
}
