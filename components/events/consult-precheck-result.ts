/** `consult-precheck-result`. @packageDocumentation */
import type { PrecheckResult } from '../../src/index.js';

/** Detail of {@link ConsultPrecheckResultEvent}. @public */
export interface ConsultPrecheckResultEventDetail {
  /**
   * The structured result, with the user's speaker answer folded into `speaker`, `verdict` and
   * `advice`. No names and no health data: safe for the portal to log.
   */
  result: PrecheckResult;
}

/**
 * `<consult-precheck>` finished a test (after the speaker step and the network measurement).
 * @public
 */
export class ConsultPrecheckResultEvent extends Event {
  static readonly eventName = 'consult-precheck-result';
  readonly detail: ConsultPrecheckResultEventDetail;

  constructor(detail: ConsultPrecheckResultEventDetail) {
    super(ConsultPrecheckResultEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-precheck-result': ConsultPrecheckResultEvent;
  }
}
