/**
 * The in-call screen of `<consult-room>`: top bar (timer, recording), banners, the provider's
 * waiting-room list, the stage of `<consult-tile>`s, the control bar, the chat panel and the
 * dialogs.
 * @packageDocumentation
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { icons } from '../../base/icons.js';
import type { MediaPlaybackController } from '../../controllers/media-playback-controller.js';
import type { ConsultStrings } from '../../i18n/en.js';
import type { ConsultError, ConsultSessionLike, SessionState } from '../../../src/index.js';
import { formatDuration } from '../device-check.js';
import { renderControls, type ControlsView } from './controls.js';
import { renderDialogs, type DialogsView } from './dialogs.js';
import { renderLobby } from './lobby.js';
import { renderMuteRequest, type MuteRequestView } from './mute-request.js';
import { renderError, type Translate } from './shared.js';
import { renderTileMenu } from './tile-menu.js';

/** One tile on the stage: a participant's camera, or their screen share. */
export interface TileRef {
  key: string;
  participantId: string;
  screen: boolean;
}

/** The parts of `<consult-tile>` the room exports under the same names. */
const TILE_PARTS = 'video, avatar, caption, name, status-icon, quality, good, fair, poor, unknown';

/** Screen shares first, then remote people (the large tile in picture-in-picture), yourself last. */
export function tilesOf(state: SessionState): TileRef[] {
  const tiles: TileRef[] = [];
  for (const p of state.participants) {
    if (p.screenSharing && p.screenStream) {
      tiles.push({ key: `${p.id}:screen`, participantId: p.id, screen: true });
    }
  }
  const remote = state.participants.filter((p) => !p.isLocal);
  const local = state.participants.filter((p) => p.isLocal);
  for (const p of [...remote, ...local]) {
    tiles.push({ key: p.id, participantId: p.id, screen: false });
  }
  return tiles;
}

/** What the call screen shows beyond the session state, and what its buttons do. */
export interface CallView {
  t: Translate;
  errorMessage: (messageKey: string) => string;
  session: ConsultSessionLike | undefined;
  strings: Partial<ConsultStrings> | undefined;
  lang: string;
  layout: 'solo' | 'pip' | 'grid';
  elapsedSeconds: number | undefined;
  error: ConsultError | undefined;
  chatOpen: boolean;
  noChat: boolean;
  consentDeferred: boolean;
  poorDismissed: boolean;
  autoplayBlocked: boolean;
  playback: MediaPlaybackController;
  controls: ControlsView;
  dialogs: DialogsView;
  onAnswerConsent: () => void;
  onAudioOnly: () => void;
  onDismissPoor: () => void;
  onEnableSound: () => void;
  onAdmit: (userId: string) => void;
  onDeny: (userId: string) => void;
  onChatClose: () => void;
  /** Providers get a menu on remote tiles (remove from the consultation). */
  canRemove: boolean;
  /** The participant (connection id) whose tile menu is open. */
  tileMenu: string | undefined;
  onTileMenu: (participantId: string | undefined) => void;
  onRemoveAsk: (participantId: string, opener: HTMLElement | null) => void;
  /** "Ask to mute" from a tile menu. */
  onAskMute: (participantId: string) => void;
  /** A provider's mute request to the local user. */
  muteRequest: MuteRequestView;
  /** While the call is in the charting window: shown instead of the stage (which stays, hidden). */
  charting: TemplateResult | undefined;
}

function renderTopbar(state: SessionState, v: CallView): TemplateResult {
  const { t } = v;
  const recording = state.recording;
  return html`<div part="topbar" class="topbar">
    ${
      v.elapsedSeconds !== undefined
        ? html`<span part="timer" class="timer" role="timer" aria-label=${t('call.timer')}
            >${icons.clock}${formatDuration(v.elapsedSeconds)}</span
          >`
        : nothing
    }
    ${
      recording.status === 'recording'
        ? html`<span part="recording-indicator" class="recording-indicator"
            ><span class="dot" aria-hidden="true"></span>${t('recording.indicator')}</span
          >`
        : nothing
    }
    ${
      recording.status !== 'recording' &&
      (recording.reason === 'consent-declined' || recording.reason === 'consent-timeout')
        ? html`<span part="recording-stopped" class="awaiting" role="status"
            >${t(
              recording.reason === 'consent-declined'
                ? 'recording.stoppedDeclined'
                : 'recording.stoppedTimeout',
            )}</span
          >`
        : nothing
    }
    ${
      recording.status === 'awaiting-consent' || recording.consent.requested
        ? html`<span class="awaiting">${t('recording.awaitingConsent')}</span>`
        : nothing
    }
    ${
      recording.consentPending && v.consentDeferred
        ? html`<button
            part="consent-button"
            class="consent-button"
            type="button"
            aria-haspopup="dialog"
            @click=${v.onAnswerConsent}
          >
            ${t('consent.answer')}
          </button>`
        : nothing
    }
  </div>`;
}

function renderBanners(state: SessionState, v: CallView): TemplateResult {
  const { t } = v;
  const media = state.localMedia;
  return html`${
    state.connection === 'reconnecting'
      ? html`<div part="banner reconnecting" class="banner warning">
          <div class="spinner small" aria-hidden="true"></div>
          <span>${t('banner.reconnecting')}</span>
        </div>`
      : nothing
  }
  ${
    media.audioOnlySuggested && !media.audioOnly && !v.poorDismissed
      ? html`<div part="banner poor-connection" class="banner warning">
          ${icons.bars(1)}<span>${t('banner.poor')}</span>
          <button part="audio-only-button" type="button" @click=${v.onAudioOnly}>
            ${t('banner.audioOnly')}
          </button>
          <button type="button" @click=${v.onDismissPoor}>${t('banner.dismiss')}</button>
        </div>`
      : nothing
  }
  ${
    v.autoplayBlocked
      ? html`<div part="banner autoplay" class="banner">
          ${icons.sound}<span>${t('banner.autoplay')}</span>
          <button
            part="enable-sound-button"
            class="primary"
            type="button"
            @click=${v.onEnableSound}
          >
            ${t('banner.enableSound')}
          </button>
        </div>`
      : nothing
  }`;
}

function tileActions(
  state: SessionState,
  tile: TileRef,
  v: CallView,
): TemplateResult | typeof nothing {
  if (!v.canRemove || tile.screen) return nothing;
  const p = state.participants.find((x) => x.id === tile.participantId);
  if (!p || p.isLocal || !p.userId || p.role === 'provider') return nothing;
  return renderTileMenu(p, {
    t: v.t,
    open: v.tileMenu === p.id,
    onToggle: (open) => v.onTileMenu(open ? p.id : undefined),
    onRemove: (opener) => v.onRemoveAsk(p.id, opener),
    onAskMute: () => v.onAskMute(p.id),
  });
}

function renderStage(state: SessionState, v: CallView): TemplateResult {
  const tiles = tilesOf(state);
  const alone = !state.participants.some((p) => !p.isLocal);
  return html`<div
    part="stage"
    class="stage"
    data-layout=${v.layout}
    ?hidden=${v.charting !== undefined}
  >
    ${repeat(
      tiles,
      (tile) => tile.key,
      (tile, i) =>
        html`<consult-tile
          class="tile ${v.layout === 'pip' && i > 0 && !tile.screen ? 'small' : ''}"
          exportparts=${TILE_PARTS}
          participant-id=${tile.participantId}
          ?screen=${tile.screen}
          .session=${v.session}
          .strings=${v.strings}
          .playback=${v.playback}
          >${tileActions(state, tile, v)}</consult-tile
        >`,
    )}
    ${alone ? html`<p class="alone"><slot name="empty">${v.t('call.alone')}</slot></p>` : nothing}
  </div>`;
}

function renderChatPanel(v: CallView): TemplateResult | typeof nothing {
  if (v.noChat) return nothing;
  const { t } = v;
  return html`<aside
    part="chat-panel"
    class="chat-panel"
    aria-label=${t('chat.title')}
    ?hidden=${!v.chatOpen}
  >
    <consult-chat
      .session=${v.session}
      .strings=${v.strings}
      lang=${v.lang}
      exportparts="log: chat-log, message: chat-message, composer: chat-composer, input: chat-input, send-button: chat-send-button"
    >
      <div slot="header" class="chat-header">
        <h2 class="chat-title">${t('chat.title')}</h2>
        <button
          type="button"
          class="icon-button"
          aria-label=${t('chat.close')}
          @click=${v.onChatClose}
        >
          ${icons.close}
        </button>
      </div>
    </consult-chat>
  </aside>`;
}

export function renderCall(state: SessionState, v: CallView): TemplateResult {
  return html`
    <section
      part="call"
      class="call ${v.chatOpen && !v.noChat ? 'with-chat' : ''}"
      aria-label=${v.t('call.label')}
    >
      <div class="main">
        ${renderTopbar(state, v)} ${renderBanners(state, v)} ${renderMuteRequest(v.muteRequest)}
        ${renderError(v.error, v.errorMessage)}
        ${
          state.role === 'provider' && state.lobby.length > 0
            ? renderLobby(state.lobby, v.t, { admit: v.onAdmit, deny: v.onDeny })
            : nothing
        }
        ${v.charting ?? nothing} ${renderStage(state, v)} ${renderControls(v.controls)}
      </div>
      ${renderChatPanel(v)}
    </section>
    ${renderDialogs(state, v.dialogs)}
  `;
}

/** The call timer and the recording indicator (also in the charting window). */
export const callStatusStyles = css`
  .timer {
    display: inline-flex;
    align-items: center;
    gap: var(--_space-xs);
    font-variant-numeric: tabular-nums;
  }
  .recording-indicator {
    display: inline-flex;
    align-items: center;
    gap: var(--_space-xs);
    padding: 2px var(--_space-s);
    border-radius: 999px;
    background: var(--_danger);
    color: var(--_on-danger);
    font-weight: 600;
  }
  .dot {
    inline-size: 0.6rem;
    block-size: 0.6rem;
    border-radius: 50%;
    background: currentColor;
  }
`;

export const callStyles = css`
  .call {
    flex: 1;
    min-block-size: 0;
    display: grid;
    grid-template-columns: 1fr;
  }
  .call.with-chat {
    grid-template-columns: 1fr min(var(--_chat-w), 45%);
  }
  .main {
    min-inline-size: 0;
    min-block-size: 0;
    display: flex;
    flex-direction: column;
    gap: var(--_space-s);
    padding: var(--_space-s);
  }
  .topbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_space-m);
    min-block-size: 1.75rem;
  }
  ${callStatusStyles}
  .awaiting {
    color: var(--_muted);
    font-size: var(--_font-size-s);
  }
  .banner {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--_space-s);
    padding: var(--_space-s) var(--_space-m);
    border-radius: var(--_radius-m);
    background: var(--_bg);
    border-inline-start: 4px solid var(--_accent);
  }
  .banner.warning {
    border-inline-start-color: var(--_warning);
  }
  .stage {
    flex: 1;
    min-block-size: 0;
    position: relative;
    display: grid;
    gap: var(--_space-s);
  }
  .stage[data-layout='grid'] {
    grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr));
    grid-auto-rows: minmax(8rem, 1fr);
    overflow: auto;
  }
  .tile {
    position: relative;
    margin: 0;
    min-block-size: 0;
    overflow: hidden;
    border-radius: var(--_tile-radius);
    background: var(--_tile-bg);
    outline: 0 solid transparent;
    transition: outline-width var(--_transition);
  }
  .tile[part~='speaking'] {
    outline: 4px solid var(--_speaking);
    outline-offset: -4px;
  }
  .stage[data-layout='pip'] .tile.small {
    position: absolute;
    inset-block-end: var(--_space-s);
    inset-inline-end: var(--_space-s);
    inline-size: var(--_pip);
    aspect-ratio: 4 / 3;
    z-index: 1;
    box-shadow: 0 2px 10px rgb(0 0 0 / 0.35);
  }
  .alone {
    position: absolute;
    inset-block-start: var(--_space-m);
    inset-inline: 0;
    margin: auto;
    inline-size: fit-content;
    padding: var(--_space-xs) var(--_space-m);
    border-radius: 999px;
    background: var(--_bg);
  }
  .chat-panel {
    min-block-size: 0;
    border-inline-start: 1px solid var(--_surface-2);
  }
  .chat-panel consult-chat {
    block-size: 100%;
    --consult-chat-radius: 0;
  }
  .chat-header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: var(--_space-s);
  }
  .chat-title {
    margin: 0;
    font-size: 1.05em;
  }
  .icon-button {
    padding: 0;
  }
  @media (max-width: 40rem) {
    .call.with-chat {
      grid-template-columns: 1fr;
    }
    .call.with-chat .main {
      display: none;
    }
  }
  @media (forced-colors: active) {
    .tile[part~='speaking'] {
      outline-color: Highlight;
    }
  }
`;
