/** `consult-error`. @packageDocumentation */
import type { ConsultError } from '../../src/index.js';

/** Detail of {@link ConsultErrorEvent}. @public */
export interface ConsultErrorEventDetail {
  error: ConsultError;
}

/**
 * Something failed; the element shows it as well.
 * @public
 */
export class ConsultErrorEvent extends Event {
  static readonly eventName = 'consult-error';
  readonly detail: ConsultErrorEventDetail;

  constructor(detail: ConsultErrorEventDetail) {
    super(ConsultErrorEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-error': ConsultErrorEvent;
  }
}
