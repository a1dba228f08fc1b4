/**
 * Registers `<consult-queue>`. Import this module for its side effect; import
 * `./consult-queue/consult-queue.component.js` for the bare class. Not part of
 * `consult-kit/components` (a provider's dashboard needs it, a patient's page does not).
 * @packageDocumentation
 */
import { ConsultQueue } from './consult-queue/consult-queue.component.js';

ConsultQueue.define('consult-queue');

export { ConsultQueue };
export {
  ConsultQueueOpenEvent,
  ConsultQueueWaitingEvent,
  type ConsultQueueOpenEventDetail,
  type ConsultQueueWaitingEventDetail,
} from './events/index.js';
export type { QueueStringKey, QueueStrings } from './consult-queue/strings.js';

declare global {
  interface HTMLElementTagNameMap {
    'consult-queue': ConsultQueue;
  }
}
