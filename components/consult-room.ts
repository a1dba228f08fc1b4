/**
 * Registers `<consult-room>` (and the `<consult-prejoin>`, `<consult-tile>` and `<consult-chat>` it
 * renders). Import this module for its side effect; import
 * `./consult-room/consult-room.component.js` for the bare class.
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

export { ConsultRoom };
export type {
  ConsultRoomLayout,
  ConsultSessionFactory,
  ConsultSessionFactoryOptions,
} from './consult-room/consult-room.component.js';

declare global {
  interface HTMLElementTagNameMap {
    'consult-room': ConsultRoom;
    'consult-prejoin': ConsultPrejoin;
    'consult-tile': ConsultTile;
  }
}
