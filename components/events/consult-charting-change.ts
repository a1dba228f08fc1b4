/** `consult-charting-change`. @packageDocumentation */

/** How the call is popped out: its own window (Document Picture-in-Picture) or the remote video only. @public */
export type ConsultChartingMode = 'document' | 'video';

/** Detail of {@link ConsultChartingChangeEvent}. @public */
export interface ConsultChartingChangeEventDetail {
  /** True when the call was popped out, false when it came back to the page. */
  open: boolean;
  /** Which picture-in-picture was (or had been) used. */
  mode: ConsultChartingMode;
}

/**
 * Charting mode opened or closed: the call was popped out of the page into a picture-in-picture
 * window, or came back (the same session and media streams throughout).
 * @public
 */
export class ConsultChartingChangeEvent extends Event {
  static readonly eventName = 'consult-charting-change';
  readonly detail: ConsultChartingChangeEventDetail;

  constructor(detail: ConsultChartingChangeEventDetail) {
    super(ConsultChartingChangeEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-charting-change': ConsultChartingChangeEvent;
  }
}
