/** Every DOM event of the ConsultKit elements. @packageDocumentation */
export { ConsultJoinEvent, type ConsultJoinEventDetail } from './consult-join.js';
export { ConsultLeaveEvent, type ConsultLeaveEventDetail } from './consult-leave.js';
export {
  ConsultConnectionChangeEvent,
  type ConsultConnectionChangeEventDetail,
} from './consult-connection-change.js';
export {
  ConsultParticipantJoinEvent,
  type ConsultParticipantJoinEventDetail,
} from './consult-participant-join.js';
export {
  ConsultParticipantLeaveEvent,
  type ConsultParticipantLeaveEventDetail,
} from './consult-participant-leave.js';
export {
  ConsultRecordingChangeEvent,
  type ConsultRecordingChangeEventDetail,
} from './consult-recording-change.js';
export {
  ConsultUnreadChangeEvent,
  type ConsultUnreadChangeEventDetail,
} from './consult-unread-change.js';
export {
  ConsultDeviceCheckEvent,
  type ConsultDeviceCheckEventDetail,
  type DeviceCheckStatus,
  type DevicePermission,
} from './consult-device-check.js';
export { ConsultErrorEvent, type ConsultErrorEventDetail } from './consult-error.js';
export {
  ConsultRequestLeaveEvent,
  type ConsultRequestLeaveEventDetail,
} from './consult-request-leave.js';
export {
  ConsultChartingChangeEvent,
  type ConsultChartingChangeEventDetail,
  type ConsultChartingMode,
} from './consult-charting-change.js';
export {
  ConsultPrecheckResultEvent,
  type ConsultPrecheckResultEventDetail,
} from './consult-precheck-result.js';
export { ConsultQueueOpenEvent, type ConsultQueueOpenEventDetail } from './consult-queue-open.js';
export {
  ConsultQueueWaitingEvent,
  type ConsultQueueWaitingEventDetail,
} from './consult-queue-waiting.js';
