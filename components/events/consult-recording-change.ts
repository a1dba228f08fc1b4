/** `consult-recording-change`. @packageDocumentation */
import type { RecordingState } from '../../src/index.js';

/** Detail of {@link ConsultRecordingChangeEvent}. @public */
export interface ConsultRecordingChangeEventDetail {
  recording: RecordingState;
}

/**
 * The recording status changed.
 * @public
 */
export class ConsultRecordingChangeEvent extends Event {
  static readonly eventName = 'consult-recording-change';
  readonly detail: ConsultRecordingChangeEventDetail;

  constructor(detail: ConsultRecordingChangeEventDetail) {
    super(ConsultRecordingChangeEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-recording-change': ConsultRecordingChangeEvent;
  }
}
