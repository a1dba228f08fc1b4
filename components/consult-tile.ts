/**
 * Registers `<consult-tile>`. Import this module for its side effect; import
 * `./consult-tile/consult-tile.component.js` for the bare class.
 * @packageDocumentation
 */
import { ConsultTile } from './consult-tile/consult-tile.component.js';

ConsultTile.define('consult-tile');

export { ConsultTile };

declare global {
  interface HTMLElementTagNameMap {
    'consult-tile': ConsultTile;
  }
}
