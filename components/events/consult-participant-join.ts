/** `consult-participant-join`. @packageDocumentation */
import type { Participant } from '../../src/index.js';

/** Detail of {@link ConsultParticipantJoinEvent}. @public */
export interface ConsultParticipantJoinEventDetail {
  participant: Participant;
}

/**
 * A remote participant joined.
 * @public
 */
export class ConsultParticipantJoinEvent extends Event {
  static readonly eventName = 'consult-participant-join';
  readonly detail: ConsultParticipantJoinEventDetail;

  constructor(detail: ConsultParticipantJoinEventDetail) {
    super(ConsultParticipantJoinEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-participant-join': ConsultParticipantJoinEvent;
  }
}
