/**
 * Registers `<consult-prejoin>`. Import this module for its side effect; import
 * `./consult-prejoin/consult-prejoin.component.js` for the bare class.
 * @packageDocumentation
 */
import { ConsultPrejoin } from './consult-prejoin/consult-prejoin.component.js';

ConsultPrejoin.define('consult-prejoin');

export { ConsultPrejoin };
export type { ConsultJoinMode } from './controllers/session-actions-controller.js';

declare global {
  interface HTMLElementTagNameMap {
    'consult-prejoin': ConsultPrejoin;
  }
}
