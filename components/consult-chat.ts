/**
 * Registers `<consult-chat>`. Import this module for its side effect; import
 * `./consult-chat/consult-chat.component.js` for the bare class.
 * @packageDocumentation
 */
import { ConsultChat } from './consult-chat/consult-chat.component.js';

ConsultChat.define('consult-chat');

export { ConsultChat };

declare global {
  interface HTMLElementTagNameMap {
    'consult-chat': ConsultChat;
  }
}
