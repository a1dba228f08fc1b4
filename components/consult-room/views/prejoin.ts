/**
 * The pre-join screen of `<consult-room>`: a `<consult-prejoin>` whose parts the room exports
 * under the same names, joining through the room.
 * @packageDocumentation
 */
import { html, type TemplateResult } from 'lit';
import type { ConsultJoinMode } from '../../controllers/session-actions-controller.js';
import type { ConsultStrings } from '../../i18n/en.js';
import type { ConsultError, ConsultSessionLike } from '../../../src/index.js';

const PREJOIN_PARTS = [
  ...['preview', 'preview-off', 'mic-level', 'device-check', 'device-status', 'ok', 'problem'],
  ...['device-help', 'field', 'name-input', 'camera-select', 'microphone-select'],
  ...['speaker-select', 'join-button', 'join-audio-only-button', 'join-without-media-button'],
  ...['retry-button', 'error'],
].join(', ');

/** The room's side the pre-join screen reads. */
export interface PrejoinHost {
  readonly session: ConsultSessionLike | undefined;
  readonly activeSession: ConsultSessionLike | undefined;
  readonly strings: Partial<ConsultStrings> | undefined;
  readonly displayName: string;
  readonly audioOnly: boolean;
}

/** A `<consult-prejoin>` that joins through the room (`onJoin`) and shows its join state. */
export function renderPrejoin(
  room: PrejoinHost,
  join: { joining: boolean; error: ConsultError | undefined },
  nameDraft: string | undefined,
  onJoin: (mode: ConsultJoinMode, name: string) => Promise<void>,
): TemplateResult {
  return html`<consult-prejoin
    part="prejoin"
    exportparts=${PREJOIN_PARTS}
    .session=${room.activeSession}
    .strings=${room.strings}
    .displayName=${nameDraft ?? room.displayName}
    .error=${join.error}
    .busy=${join.joining}
    .joinHandler=${onJoin}
    ?audio-only=${room.audioOnly}
    ?no-name=${room.session !== undefined}
    ><slot name="error" slot="error"></slot
  ></consult-prejoin>`;
}
