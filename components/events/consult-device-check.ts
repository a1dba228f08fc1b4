/** `consult-device-check`. @packageDocumentation */
import type { ConsultError } from '../../src/index.js';

/** Result of checking one capture device. @public */
export type DeviceCheckStatus =
  'ok' | 'off' | 'denied' | 'missing' | 'in-use' | 'insecure' | 'unsupported' | 'error' | 'pending';

/** Camera/microphone permission as the Permissions API reports it. @public */
export type DevicePermission = 'granted' | 'denied' | 'prompt' | 'unknown';

/** Detail of {@link ConsultDeviceCheckEvent}. @public */
export interface ConsultDeviceCheckEventDetail {
  camera: DeviceCheckStatus;
  microphone: DeviceCheckStatus;
  /** The browser's camera/microphone permission, when it can be read. */
  permission: DevicePermission;
  /** The capture error behind a non-`ok` status. */
  error: ConsultError | undefined;
}

/**
 * The pre-join device check has a (new) result.
 * @public
 */
export class ConsultDeviceCheckEvent extends Event {
  static readonly eventName = 'consult-device-check';
  readonly detail: ConsultDeviceCheckEventDetail;

  constructor(detail: ConsultDeviceCheckEventDetail) {
    super(ConsultDeviceCheckEvent.eventName, { bubbles: true, composed: true });
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'consult-device-check': ConsultDeviceCheckEvent;
  }
}
