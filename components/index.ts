/**
 * `consult-kit/components`: registers `<consult-room>`, `<consult-chat>`, `<consult-prejoin>` and
 * `<consult-tile>` and exports their classes, event classes and types. `<consult-precheck>` is
 * registered from its own chunk, loaded right away but not in the entry (the CDN entry's size
 * budget, docs/performance.md); import `consult-kit/components/consult-precheck.js` for its class.
 * @packageDocumentation
 */
import { ConsultChat } from './consult-chat/consult-chat.component.js';
import { ConsultPrejoin } from './consult-prejoin/consult-prejoin.component.js';
import { ConsultRoom } from './consult-room/consult-room.component.js';
import { ConsultTile } from './consult-tile/consult-tile.component.js';

ConsultChat.define('consult-chat');
ConsultPrejoin.define('consult-prejoin');
ConsultTile.define('consult-tile');
ConsultRoom.define('consult-room');
void import('./consult-precheck.js');

export { ConsultChat, ConsultPrejoin, ConsultRoom, ConsultTile };
export type { ConsultJoinMode } from './controllers/session-actions-controller.js';
export type { PictureInPictureSupport } from './controllers/picture-in-picture-support.js';
export { ConsultElement, CONSULT_KIT_VERSION } from './base/consult-element.js';
export type {
  ConsultRoomLayout,
  ConsultSessionFactory,
  ConsultSessionFactoryOptions,
} from './consult-room/consult-room.component.js';
export {
  ConsultChartingChangeEvent,
  ConsultConnectionChangeEvent,
  ConsultDeviceCheckEvent,
  ConsultErrorEvent,
  ConsultJoinEvent,
  ConsultLeaveEvent,
  ConsultParticipantJoinEvent,
  ConsultParticipantLeaveEvent,
  ConsultRecordingChangeEvent,
  ConsultRequestLeaveEvent,
  ConsultUnreadChangeEvent,
  ConsultPrecheckResultEvent,
} from './events/index.js';
export type {
  ConsultChartingChangeEventDetail,
  ConsultChartingMode,
  ConsultConnectionChangeEventDetail,
  ConsultDeviceCheckEventDetail,
  ConsultErrorEventDetail,
  ConsultJoinEventDetail,
  ConsultLeaveEventDetail,
  ConsultParticipantJoinEventDetail,
  ConsultParticipantLeaveEventDetail,
  ConsultRecordingChangeEventDetail,
  ConsultRequestLeaveEventDetail,
  ConsultUnreadChangeEventDetail,
  ConsultPrecheckResultEventDetail,
  DeviceCheckStatus,
  DevicePermission,
} from './events/index.js';
export type {
  ConsultPrecheck,
  ConsultPrecheckClient,
} from './consult-precheck/consult-precheck.component.js';
export { BUNDLED_LANGUAGES } from './i18n/index.js';
export type { BundledLanguage, ConsultStringKey, ConsultStrings } from './i18n/index.js';

declare global {
  interface HTMLElementTagNameMap {
    'consult-room': ConsultRoom;
    'consult-chat': ConsultChat;
    'consult-prejoin': ConsultPrejoin;
    'consult-tile': ConsultTile;
  }
}
