/**
 * Registers `<consult-precheck>`. Import this module for its side effect; import
 * `./consult-precheck/consult-precheck.component.js` for the bare class.
 * @packageDocumentation
 */
import { ConsultPrecheck } from './consult-precheck/consult-precheck.component.js';

ConsultPrecheck.define('consult-precheck');

export { ConsultPrecheck };
export type { ConsultPrecheckClient } from './consult-precheck/consult-precheck.component.js';

declare global {
  interface HTMLElementTagNameMap {
    'consult-precheck': ConsultPrecheck;
  }
}
