/**
 * The control bar of the call: microphone, camera, screen share, chat, record, settings, the
 * `controls` slot and leave.
 * @packageDocumentation
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { icons } from '../../base/icons.js';
import type { LocalMediaState } from '../../../src/index.js';
import { renderUnreadBadge, type Translate } from './shared.js';

/** What the control bar shows. */
export interface ControlsView {
  t: Translate;
  media: LocalMediaState;
  unread: number;
  showScreenShare: boolean;
  showChat: boolean;
  chatOpen: boolean;
  showRecord: boolean;
  recordingActive: boolean;
  onMicrophone: () => void;
  onCamera: () => void;
  onScreenShare: () => void;
  onChat: () => void;
  onRecord: () => void;
  onSettings: (event: Event) => void;
  onLeave: (event: Event) => void;
  /** The charting-mode toggle (pops the call out); undefined hides it. */
  charting?: { open: boolean; onToggle: () => void } | undefined;
}

function control(
  part: string,
  icon: TemplateResult,
  label: string,
  pressed: boolean | undefined,
  onClick: (e: Event) => void,
  extra: TemplateResult | typeof nothing = nothing,
): TemplateResult {
  return html`<button
    part="control ${part}"
    class="control ${pressed ? 'pressed' : ''}"
    type="button"
    aria-pressed=${pressed === undefined ? nothing : String(pressed)}
    @click=${onClick}
  >
    ${icon}<span class="label">${label}</span>${extra}
  </button>`;
}

export function renderControls(v: ControlsView): TemplateResult {
  const { t, media, unread } = v;
  const badge = renderUnreadBadge(unread, t);
  return html`<div part="controls" class="controls" role="group" aria-label=${t('controls.label')}>
    ${control(
      'mic-button',
      media.audioEnabled ? icons.mic : icons.micOff,
      t('controls.microphone'),
      media.audioEnabled,
      v.onMicrophone,
    )}
    ${control(
      'camera-button',
      media.videoEnabled ? icons.camera : icons.cameraOff,
      t('controls.camera'),
      media.videoEnabled,
      v.onCamera,
    )}
    ${
      v.showScreenShare
        ? control(
            'screen-button',
            icons.screen,
            t('controls.screen'),
            media.screenSharing,
            v.onScreenShare,
          )
        : nothing
    }
    ${
      v.showChat
        ? control('chat-button', icons.chat, t('controls.chat'), v.chatOpen, v.onChat, badge)
        : nothing
    }
    ${
      v.showRecord
        ? control(
            'record-button',
            icons.record,
            t('controls.record'),
            v.recordingActive,
            v.onRecord,
          )
        : nothing
    }
    ${
      v.charting
        ? control(
            'charting-button',
            icons.popOut,
            t('controls.charting'),
            v.charting.open,
            v.charting.onToggle,
          )
        : nothing
    }
    ${control('settings-button', icons.settings, t('controls.settings'), undefined, v.onSettings)}
    <slot name="controls"></slot>
    ${control('leave-button', icons.leave, t('controls.leave'), undefined, v.onLeave)}
  </div>`;
}

/** A control's pressed and off states, Leave and the unread badge (also in the charting window). */
export const controlStateStyles = css`
  .control[aria-pressed='false'] {
    background: var(--_bg);
    border-style: dashed;
  }
  .control.pressed {
    background: var(--_accent);
    color: var(--_on-accent);
    border-color: transparent;
  }
  [part~='leave-button'] {
    background: var(--_danger);
    color: var(--_on-danger);
    border-color: transparent;
  }
  .badge {
    position: absolute;
    inset-block-start: -6px;
    inset-inline-end: -6px;
    min-inline-size: 1.4rem;
    padding-inline: 4px;
    border-radius: 999px;
    background: var(--_danger);
    color: var(--_on-danger);
    font-weight: 700;
    line-height: 1.4rem;
  }
`;

export const controlsStyles = css`
  .controls {
    display: flex;
    flex-wrap: wrap;
    justify-content: center;
    gap: var(--_space-s);
  }
  .control {
    position: relative;
    display: inline-flex;
    flex-direction: column;
    align-items: center;
    gap: 2px;
    min-inline-size: 4.5rem;
    font-size: var(--_font-size-s);
  }
  ${controlStateStyles}
  @media (max-width: 40rem) {
    .control .label {
      font-size: 0.75rem;
    }
  }
  @media (forced-colors: active) {
    .control.pressed {
      border: 2px solid ButtonText;
    }
  }
`;
