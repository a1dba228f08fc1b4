import { html, nothing, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import { ConsultElement } from '../base/consult-element.js';
import { icons } from '../base/icons.js';
import { LocalizeController } from '../controllers/localize-controller.js';
import { MediaPlaybackController } from '../controllers/media-playback-controller.js';
import { SessionController } from '../controllers/session-controller.js';
import type { ConsultStrings } from '../i18n/en.js';
import type { ConsultSessionLike, Participant, SessionState } from '../../src/index.js';
import { styles } from './consult-tile.styles.js';

/** The fields of a participant a tile shows: anything else (e.g. quality figures) is ignored. */
function tileSlice(state: SessionState, id: string): unknown[] {
  const p = state.participants.find((x) => x.id === id);
  return [
    p?.displayName,
    p?.isLocal,
    p?.audioEnabled,
    p?.videoEnabled,
    p?.speaking,
    p?.stream,
    p?.screenStream,
    p?.quality.level,
  ];
}

function initialsOf(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? '')
    .join('');
}

const BARS = { good: 3, fair: 2, poor: 1, unknown: 0 } as const;

/**
 * One participant's video (or screen share) with their name, mute, speaking and connection-quality
 * status. `<consult-room>` renders one per person and exports its parts; it also works on its own
 * with a `.session` and a `participant-id`.
 *
 * The tile writes its state to its own `part` attribute (`tile` plus `local`, `speaking`, `muted`,
 * `camera-off`, `screen`), its `aria-label` (name and states in words) and `role="group"`.
 *
 * @summary A participant's video tile.
 * @tagname consult-tile
 * @status experimental
 * @since 0.2.0
 *
 * @csspart base - The wrapper of the tile's content.
 * @csspart video - The participant's `<video>`.
 * @csspart avatar - Initials shown when the camera is off.
 * @csspart caption - The name and status line.
 * @csspart name - The participant's name.
 * @csspart status-icon - The muted or speaking icon.
 * @slot actions - Controls shown in the tile's top corner (the room puts its provider menu here).
 * @csspart quality - The connection-quality indicator (icon and text); also `good`, `fair`, `poor` or `unknown`.
 *
 * @cssproperty --consult-room-tile-background - Background behind the video.
 * @cssproperty --consult-color-background - Page-level background.
 * @cssproperty --consult-color-surface - Shared token; not used by this element.
 * @cssproperty --consult-color-text - Text colour.
 * @cssproperty --consult-color-text-muted - Secondary text colour.
 * @cssproperty --consult-color-accent - Shared token; not used by this element.
 * @cssproperty --consult-color-danger - Shared token; not used by this element.
 * @cssproperty --consult-radius-m - Shared token; not used by this element.
 * @cssproperty --consult-space-m - Main spacing.
 * @cssproperty --consult-font-family - Font family.
 * @cssproperty [--consult-color-own-message=light-dark(#d8e5fb, #153a6b)] - Shared token; not used by this element.
 * @cssproperty [--consult-color-surface-raised=light-dark(#e3e7ed, #2f333b)] - Raised surfaces: hovered buttons, headers, the composer.
 * @cssproperty [--consult-color-border=light-dark(#767d88, #8b929d)] - Borders of buttons, inputs and dialogs.
 * @cssproperty [--consult-color-focus=light-dark(#0b57d0, #a8c7fa)] - Focus outline.
 * @cssproperty [--consult-color-on-accent=light-dark(#ffffff, #062e6f)] - Text and icons on the accent colour; keep it in contrast with the accent.
 * @cssproperty [--consult-color-on-danger=light-dark(#ffffff, #601410)] - Text and icons on the danger colour; keep it in contrast with the danger colour.
 * @cssproperty [--consult-color-success=light-dark(#146c2e, #8fd69e)] - Success marks (a passed device check, the speaking outline).
 * @cssproperty [--consult-color-warning=light-dark(#7a4d00, #ffcf70)] - Warning banners and marks.
 * @cssproperty [--consult-radius-s=6px] - Small radius (badges, error messages).
 * @cssproperty [--consult-radius-l=16px] - Large radius (tiles, dialogs, panels).
 * @cssproperty [--consult-space-xs=4px] - Smallest spacing (inside controls).
 * @cssproperty [--consult-space-s=8px] - Small spacing (between related items).
 * @cssproperty [--consult-space-l=20px] - Large spacing (around screens and dialogs).
 * @cssproperty [--consult-font-size=1rem] - Base font size.
 * @cssproperty [--consult-font-size-small=0.875rem] - Secondary text (names, times, counters).
 * @cssproperty [--consult-transition-duration=160ms] - Duration of transitions; 0ms under prefers-reduced-motion.
 */
export class ConsultTile extends ConsultElement {
  static override styles = styles;

  /** The session the participant is in. */
  @property({ attribute: false }) session: ConsultSessionLike | undefined;

  /** The participant to show (`Participant.id`). */
  @property({ attribute: 'participant-id' }) participantId = '';

  /** Shows the participant's screen share instead of their camera. */
  @property({ type: Boolean }) screen = false;

  /** Language of the element's text; defaults to the closest `[lang]` ancestor or the document. */
  @property() override lang!: string;

  /** Overrides of any text, by key (see `components/i18n/en.ts`). */
  @property({ attribute: false }) strings: Partial<ConsultStrings> | undefined;

  /**
   * Plays the tile's video; the room passes its own so one "enable sound" resumes every tile.
   * @internal
   */
  @property({ attribute: false }) playback: MediaPlaybackController | undefined;

  private readonly localize = new LocalizeController(this);
  private readonly ownPlayback = new MediaPlaybackController(
    this,
    () => this.session?.state.localMedia.audioOutputId,
  );
  private readonly controller = new SessionController(
    this,
    () => this.session,
    (state) => tileSlice(state, this.participantId),
  );

  /** The participant shown, when they are in the session. */
  get participant(): Participant | undefined {
    return this.controller.state?.participants.find((p) => p.id === this.participantId);
  }

  override render(): TemplateResult | typeof nothing {
    const p = this.participant;
    if (!p) return nothing;
    const t = this.localize.t.bind(this.localize);
    const stream = this.screen ? p.screenStream : p.stream;
    const { cameraOff, muted, speaking } = this.flagsOf(p);
    const level = p.quality.level;
    return html`<div part="base" class="base">
      <video
        part="video"
        class="video ${cameraOff ? 'hidden-video' : ''}"
        .srcObject=${stream ?? null}
        .muted=${p.isLocal}
        playsinline
        autoplay
        aria-hidden="true"
      ></video>
      ${
        cameraOff
          ? html`<div part="avatar" class="avatar" aria-hidden="true">
              ${initialsOf(p.displayName)}
            </div>`
          : nothing
      }
      <div part="caption" class="caption">
        <span part="name" class="name">${this.nameOf(p)}</span>
        ${
          muted
            ? html`<span part="status-icon" class="status-icon muted-icon" aria-hidden="true"
                >${icons.micOff}</span
              >`
            : nothing
        }
        ${
          speaking
            ? html`<span part="status-icon" class="status-icon speaking-icon" aria-hidden="true"
                >${icons.speaking}</span
              >`
            : nothing
        }
        ${
          this.screen
            ? nothing
            : html`<span part="quality ${level}" class="quality ${level}"
                >${icons.bars(BARS[level])}<span class="quality-text"
                  >${t(`quality.${level}`)}</span
                ></span
              >`
        }
      </div>
      <slot name="actions"></slot>
    </div>`;
  }

  protected override willUpdate(): void {
    const p = this.participant;
    if (p) this.describeHost(p);
  }

  protected override updated(): void {
    (this.playback ?? this.ownPlayback).sync(this.renderRoot);
  }

  private flagsOf(p: Participant): { cameraOff: boolean; muted: boolean; speaking: boolean } {
    const stream = this.screen ? p.screenStream : p.stream;
    return {
      cameraOff: !this.screen && (!p.videoEnabled || !stream),
      muted: !this.screen && !p.audioEnabled,
      speaking: !this.screen && p.speaking,
    };
  }

  private nameOf(p: Participant): string {
    const t = this.localize.t.bind(this.localize);
    if (this.screen) return t('call.screen', { name: p.displayName });
    return p.isLocal ? t('call.you', { name: p.displayName }) : p.displayName;
  }

  /** The host carries the tile's parts, its accessible name and its group role. */
  private describeHost(p: Participant): void {
    const s = this.flagsOf(p);
    const t = this.localize.t.bind(this.localize);
    const states = [
      s.muted ? t('tile.micOff') : '',
      s.cameraOff ? t('tile.cameraOff') : '',
      s.speaking ? t('tile.speaking') : '',
    ].filter(Boolean);
    const name = this.nameOf(p);
    const parts = [
      'tile',
      p.isLocal && !this.screen ? 'local' : '',
      s.speaking ? 'speaking' : '',
      s.muted ? 'muted' : '',
      s.cameraOff ? 'camera-off' : '',
      this.screen ? 'screen' : '',
    ].filter(Boolean);
    this.setAttribute('part', parts.join(' '));
    this.setAttribute('role', 'group');
    this.setAttribute('aria-label', states.length ? `${name}, ${states.join(', ')}` : name);
    this.dataset['id'] = p.id;
  }
}
