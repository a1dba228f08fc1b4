/**
 * The charting window of `<consult-room>` (loaded on demand, with the charting-window module): the
 * compact call rendered into a Document Picture-in-Picture window (the other person's video, the own
 * preview, timer, recording indicator, mute request, microphone, camera, chat with its unread count,
 * back to tab and leave). Its media elements play the session's own `MediaStream`s, muted: the sound
 * keeps coming from the room's tiles, which stay in the page (hidden), so nothing reconnects or
 * re-subscribes when the call pops out or comes back.
 * @packageDocumentation
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { icons } from '../../base/icons.js';
import type { LocalMediaState, Participant } from '../../../src/index.js';
import { formatDuration } from '../device-check.js';
import { renderMuteRequest, type MuteRequestView } from './mute-request.js';
import { renderUnreadBadge, type Translate } from './shared.js';
import { callStatusStyles } from './call.js';
import { controlStateStyles } from './controls.js';

/** What the charting window shows and does. */
export interface ChartingView {
  t: Translate;
  lang: string;
  dir: string;
  elapsedSeconds: number | undefined;
  recording: boolean;
  media: LocalMediaState;
  /** The person whose video is large (the first other participant). */
  remote: Participant | undefined;
  localStream: MediaStream | undefined;
  unread: number;
  showChat: boolean;
  /** The inline "Leave the consultation?" question is open. */
  leaveConfirm: boolean;
  muteRequest: MuteRequestView;
  onMicrophone: () => void;
  onCamera: () => void;
  onChat: () => void;
  onBack: () => void;
  onLeave: () => void;
  onLeaveCancel: () => void;
  onLeaveConfirm: () => void;
}

function button(
  part: string,
  icon: TemplateResult,
  label: string,
  pressed: boolean | undefined,
  onClick: () => void,
  extra: TemplateResult | typeof nothing = nothing,
): TemplateResult {
  return html`<button
    part="control ${part}"
    class="control ${pressed ? 'pressed' : ''}"
    type="button"
    aria-label=${label}
    title=${label}
    aria-pressed=${pressed === undefined ? nothing : String(pressed)}
    @click=${onClick}
  >
    ${icon}${extra}
  </button>`;
}

function renderVideos(v: ChartingView): TemplateResult {
  const { t, remote } = v;
  const remoteVideo = remote?.stream && remote.videoEnabled;
  return html`<div part="stage" class="stage">
    ${
      remoteVideo
        ? html`<video
            part="video remote-video"
            class="remote"
            .srcObject=${remote.stream}
            .muted=${true}
            playsinline
            autoplay
            aria-label=${remote.displayName}
          ></video>`
        : html`<p class="placeholder">${remote ? remote.displayName : t('call.alone')}</p>`
    }
    ${
      v.localStream && v.media.videoEnabled
        ? html`<video
            part="video local-video"
            class="local"
            .srcObject=${v.localStream}
            .muted=${true}
            playsinline
            autoplay
            aria-hidden="true"
          ></video>`
        : nothing
    }
  </div>`;
}

function renderLeaveConfirm(v: ChartingView): TemplateResult {
  const { t } = v;
  return html`<div
    part="leave-confirm"
    class="leave-confirm"
    role="alertdialog"
    aria-labelledby="charting-leave-title"
  >
    <p id="charting-leave-title">${t('leave.title')}</p>
    <button part="leave-cancel-button" type="button" @click=${v.onLeaveCancel}>
      ${t('leave.cancel')}
    </button>
    <button part="leave-confirm-button" class="danger" type="button" @click=${v.onLeaveConfirm}>
      ${t('leave.confirm')}
    </button>
  </div>`;
}

/** The charting window's content. */
export function renderChartingWindow(v: ChartingView): TemplateResult {
  const { t, media, unread } = v;
  const badge = renderUnreadBadge(unread, t);
  return html`<main part="base charting" class="base charting" lang=${v.lang} dir=${v.dir}>
    <div part="topbar" class="topbar">
      ${
        v.elapsedSeconds !== undefined
          ? html`<span part="timer" class="timer" role="timer" aria-label=${t('call.timer')}
              >${icons.clock}${formatDuration(v.elapsedSeconds)}</span
            >`
          : nothing
      }
      ${
        v.recording
          ? html`<span part="recording-indicator" class="recording-indicator"
              ><span class="dot" aria-hidden="true"></span>${t('recording.indicator')}</span
            >`
          : nothing
      }
    </div>
    ${renderMuteRequest(v.muteRequest)} ${renderVideos(v)}
    ${v.leaveConfirm ? renderLeaveConfirm(v) : nothing}
    <div part="controls" class="controls" role="group" aria-label=${t('controls.label')}>
      ${button(
        'mic-button',
        media.audioEnabled ? icons.mic : icons.micOff,
        t('controls.microphone'),
        media.audioEnabled,
        v.onMicrophone,
      )}
      ${button(
        'camera-button',
        media.videoEnabled ? icons.camera : icons.cameraOff,
        t('controls.camera'),
        media.videoEnabled,
        v.onCamera,
      )}
      ${
        v.showChat
          ? button('chat-button', icons.chat, t('controls.chat'), undefined, v.onChat, badge)
          : nothing
      }
      ${button('back-to-tab-button', icons.popOut, t('charting.backToTab'), undefined, v.onBack)}
      ${button('leave-button', icons.leave, t('controls.leave'), undefined, v.onLeave)}
    </div>
  </main>`;
}

/** The window side (with the shared tokens, controls and mute-request styles). */
export const chartingWindowStyles = css`
  :host {
    display: block;
    block-size: 100%;
  }
  .base.charting {
    --_tile-bg: var(--consult-room-tile-background, light-dark(#d5dbe3, #2a2e35));
    --_tile-radius: var(--consult-room-tile-radius, var(--_radius-l));
    box-sizing: border-box;
    display: flex;
    flex-direction: column;
    gap: var(--_space-s);
    block-size: 100%;
    padding: var(--_space-s);
    background: var(--consult-room-background, light-dark(#eef1f5, #0f1114));
  }
  .topbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_space-m);
  }
  ${callStatusStyles}
  .stage {
    position: relative;
    flex: 1;
    min-block-size: 0;
    border-radius: var(--_tile-radius);
    background: var(--_tile-bg);
    overflow: hidden;
  }
  .remote {
    inline-size: 100%;
    block-size: 100%;
    object-fit: contain;
    display: block;
  }
  .local {
    position: absolute;
    inset-block-end: var(--_space-s);
    inset-inline-end: var(--_space-s);
    inline-size: 28%;
    aspect-ratio: 4 / 3;
    object-fit: cover;
    border-radius: var(--_radius-m);
    transform: scaleX(-1);
    box-shadow: 0 2px 10px rgb(0 0 0 / 0.35);
  }
  .placeholder {
    display: grid;
    place-items: center;
    block-size: 100%;
    margin: 0;
    padding: var(--_space-m);
    text-align: center;
  }
  .leave-confirm {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_space-s);
  }
  .leave-confirm p {
    margin: 0;
    font-weight: 600;
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    justify-content: center;
    gap: var(--_space-s);
  }
  .control {
    position: relative;
    display: inline-flex;
    align-items: center;
    justify-content: center;
  }
  ${controlStateStyles}
  @media (forced-colors: active) {
    .control.pressed {
      border: 2px solid ButtonText;
    }
  }
`;
