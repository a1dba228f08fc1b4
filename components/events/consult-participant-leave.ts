/** `consult-participant-leave`. @packageDocumentation */
import type { Participant } from '../../src/index.js';

/** Detail of {@link ConsultParticipantLeaveEvent}. @public */
export interface ConsultParticipantLeaveEventDetail {
  participant: Participant;
  reason: string;
}

/**
 * A remote participant left.
 * @public
 */
export class ConsultParticipantLeaveEvent extends Event {
  static readonly eventName = 'consult-participant-leave';
  readonly detail: ConsultParticipantLeaveEventDetail;

  constructor(detail: ConsultParticipantLeaveEventDetail) {
    super(ConsultParticipantLeaveEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-participant-leave': ConsultParticipantLeaveEvent;
  }
}
