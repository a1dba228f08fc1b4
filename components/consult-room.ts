/**
 * Registers `<consult-room>` (and the `<consult-chat>` it renders). Import this module for its side
 * effect; import `./consult-room/consult-room.component.js` for the bare class.
 * @packageDocumentation
 */
import { ConsultChat } from './consult-chat/consult-chat.component.js';
import { ConsultRoom } from './consult-room/consult-room.component.js';

ConsultChat.define('consult-chat');
ConsultRoom.define('consult-room');

export { ConsultRoom };
export type {
  ConsultRoomLayout,
  ConsultSessionFactory,
  ConsultSessionFactoryOptions,
} from './consult-room/consult-room.component.js';

declare global {
  interface HTMLElementTagNameMap {
    'consult-room': ConsultRoom;
  }
}
