/** `consult-join`. @packageDocumentation */
import type { Participant, ParticipantRole } from '../../src/index.js';

/** Detail of {@link ConsultJoinEvent}. @public */
export interface ConsultJoinEventDetail {
  consultId: string;
  /** The local participant. */
  participant: Participant | undefined;
  role: ParticipantRole | undefined;
}

/**
 * The local user joined the call (the connection reached `connected` for the first time).
 * @public
 */
export class ConsultJoinEvent extends Event {
  static readonly eventName = 'consult-join';
  readonly detail: ConsultJoinEventDetail;

  constructor(detail: ConsultJoinEventDetail) {
    super(ConsultJoinEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-join': ConsultJoinEvent;
  }
}
