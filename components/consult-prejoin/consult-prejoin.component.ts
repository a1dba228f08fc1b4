import { html, nothing, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { ConsultElement } from '../base/consult-element.js';
import { icons } from '../base/icons.js';
import { LocalizeController } from '../controllers/localize-controller.js';
import { MicLevelController } from '../controllers/mic-level-controller.js';
import { SessionController } from '../controllers/session-controller.js';
import { ConsultDeviceCheckEvent } from '../events/consult-device-check.js';
import type { ConsultDeviceCheckEventDetail } from '../events/consult-device-check.js';
import {
  SessionActionsController,
  type ConsultJoinMode,
} from '../controllers/session-actions-controller.js';
import type { ConsultStrings } from '../i18n/en.js';
import { computeDeviceCheck, isProblem, queryPermission } from '../consult-room/device-check.js';
import { renderError, renderPickers } from '../consult-room/views/shared.js';
import { ConsultError, type ConsultSessionLike, type SessionState } from '../../src/index.js';
import { renderDeviceCheck, renderDeviceHelp } from './device-status.js';
import { styles } from './consult-prejoin.styles.js';

/** What the pre-join screen renders from the session (nothing of chat, participants or quality). */
function prejoinSlice(s: SessionState): unknown[] {
  return [s.localMedia, s.devices, s.connection];
}

/**
 * The pre-join screen: camera preview, microphone level, a device check with help when a device
 * is blocked or missing, device pickers, the name field and the join buttons. `<consult-room>`
 * renders it before the call; on its own (e.g. a portal's "test your camera" page) it starts the
 * preview of the session it is given, and `no-join` hides the join buttons.
 *
 * @summary Device check and join screen.
 * @tagname consult-prejoin
 * @status experimental
 * @since 0.2.0
 *
 * @slot error - Replaces the text of an error.
 *
 * @csspart base - The wrapper of everything.
 * @csspart preview - The camera preview `<video>`.
 * @csspart preview-off - Placeholder when the camera is off.
 * @csspart mic-level - The microphone level `<meter>`.
 * @csspart device-check - The camera and microphone check results.
 * @csspart device-status - One check result; also `ok` or `problem`.
 * @csspart device-help - The explanation and browser steps when a device is blocked or missing.
 * @csspart field - A label and its control.
 * @csspart name-input - The name field.
 * @csspart camera-select - The camera picker.
 * @csspart microphone-select - The microphone picker.
 * @csspart speaker-select - The speaker picker.
 * @csspart join-button - Joins.
 * @csspart join-audio-only-button - Joins with audio only.
 * @csspart join-without-media-button - Joins without camera and microphone.
 * @csspart retry-button - Runs the device check again.
 * @csspart error - An error message.
 *
 * @cssproperty --consult-room-tile-background - Background of the preview.
 * @cssproperty --consult-room-tile-radius - Corner radius of the preview.
 * @cssproperty --consult-color-background - Page-level background.
 * @cssproperty --consult-color-surface - Buttons.
 * @cssproperty --consult-color-text - Text colour.
 * @cssproperty --consult-color-text-muted - Secondary text colour.
 * @cssproperty --consult-color-accent - Accent (join button, focus).
 * @cssproperty --consult-color-danger - Device problems and errors.
 * @cssproperty --consult-radius-m - Radius of controls and panels.
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
 *
 * @event {ConsultDeviceCheckEvent} consult-device-check - The device check has a result.
 * @event {ConsultErrorEvent} consult-error - Something failed; `detail.error` is a ConsultError.
 */
export class ConsultPrejoin extends ConsultElement {
  static override styles = styles;

  /** The session whose devices to check (and to join). */
  @property({ attribute: false }) session: ConsultSessionLike | undefined;

  /** Pre-fills the name field. */
  @property({ attribute: 'display-name' }) displayName = '';

  /** Checks and joins with the microphone only. */
  @property({ type: Boolean, attribute: 'audio-only' }) audioOnly = false;

  /** Hides the name field (e.g. when the session already has the user's name). */
  @property({ type: Boolean, attribute: 'no-name' }) noName = false;

  /** Hides the join buttons (a device test page). */
  @property({ type: Boolean, attribute: 'no-join' }) noJoin = false;

  /** Language of the element's text; defaults to the closest `[lang]` ancestor or the document. */
  @property() override lang!: string;

  /** Overrides of any text, by key (see `components/i18n/en.ts`). */
  @property({ attribute: false }) strings: Partial<ConsultStrings> | undefined;

  /**
   * Joins instead of the element (the room, which tracks the join itself).
   * @internal
   */
  @property({ attribute: false }) joinHandler:
    ((mode: ConsultJoinMode, name: string) => Promise<void>) | undefined;

  /**
   * An error to show (the room's join failure).
   * @internal
   */
  @property({ attribute: false }) error: ConsultError | undefined;

  /**
   * Disables the join buttons while a join runs elsewhere (the room).
   * @internal
   */
  @property({ type: Boolean, attribute: false }) busy = false;

  @state() private nameDraft: string | undefined;
  @state() private check: ConsultDeviceCheckEventDetail | undefined;

  @query('.mic-level') private meterEl!: HTMLMeterElement | null;

  private readonly localize = new LocalizeController(this);
  private readonly meter = new MicLevelController(this);
  private readonly controller = new SessionController(this, () => this.session, prejoinSlice);
  private previewFor: ConsultSessionLike | undefined;
  private readonly actions = new SessionActionsController(this, () => this.session);

  /** The name typed in the field (trimmed), else `display-name`. */
  get name(): string {
    return (this.nameDraft ?? this.displayName).trim();
  }

  /** The last device-check result. */
  get deviceCheck(): ConsultDeviceCheckEventDetail | undefined {
    return this.check;
  }

  /** Runs the device check again (starts the preview if needed). */
  async recheck(): Promise<void> {
    const session = this.session;
    if (session) await this.runDeviceCheck(session);
  }

  /** Joins in `mode`; failures are shown and dispatched as `consult-error`, never thrown. */
  async join(mode: ConsultJoinMode = 'normal'): Promise<void> {
    if (this.actions.joining || this.busy || !this.session) return;
    this.meter.stop();
    const displayName = this.noName ? '' : this.name;
    if (this.joinHandler) await this.joinHandler(mode, displayName);
    else await this.actions.join(mode, { audioOnly: this.audioOnly, displayName });
  }

  protected override willUpdate(): void {
    // Started here, not in updated(): the preview's first snapshots then join this update.
    const session = this.session;
    if (session && session !== this.previewFor && session.state.connection === 'idle') {
      this.previewFor = session;
      void this.runDeviceCheck(session);
    }
  }

  protected override updated(): void {
    const session = this.session;
    const idle = session?.state.connection === 'idle' && !this.actions.joining && !this.busy;
    this.meter.sync(idle ? session?.state.localMedia.previewStream : undefined, this.meterEl);
  }

  private async runDeviceCheck(session: ConsultSessionLike): Promise<void> {
    this.check = undefined;
    let failure: ConsultError | undefined;
    try {
      if (this.audioOnly) await session.setAudioOnly(true);
      await session.startPreview();
    } catch (error) {
      failure = ConsultError.from(error);
    }
    try {
      await session.refreshDevices();
    } catch {
      // The pickers just stay empty.
    }
    const permission = await queryPermission();
    if (session !== this.session) return;
    const result = computeDeviceCheck(session.state, failure, permission);
    this.check = result;
    this.dispatchEvent(new ConsultDeviceCheckEvent(result));
  }

  private handleDeviceChange(kind: MediaDeviceKind, deviceId: string): void {
    void this.actions.act((s) =>
      kind === 'audiooutput' ? s.selectAudioOutput(deviceId) : s.selectDevice(kind, deviceId),
    );
  }

  override render(): TemplateResult {
    const t = this.localize.t.bind(this.localize);
    const state = this.controller.state;
    const media = state?.localMedia;
    const stream = media?.previewStream;
    const showVideo = !!stream && stream.getVideoTracks().length > 0 && !!media?.videoEnabled;
    const problem = isProblem(this.check?.camera) || isProblem(this.check?.microphone);
    return html`
      <section
        part="base"
        class="base screen prejoin"
        aria-labelledby="prejoin-title"
        lang=${this.localize.tag}
        dir=${this.localize.dir}
      >
        <h2 id="prejoin-title" class="title">${t('prejoin.title')}</h2>
        <p class="intro">${t('prejoin.intro')}</p>
        <div class="prejoin-grid">
          <div class="preview-box">
            ${
              showVideo
                ? html`<video
                    part="preview"
                    class="preview"
                    aria-label=${t('prejoin.preview')}
                    .srcObject=${stream}
                    .muted=${true}
                    playsinline
                    autoplay
                  ></video>`
                : html`<div part="preview-off" class="preview preview-off">
                    ${icons.cameraOff}<span>${t('prejoin.cameraOff')}</span>
                  </div>`
            }
            <label class="meter-label">
              <span>${icons.mic} ${t('prejoin.micLevel')}</span>
              <meter
                part="mic-level"
                class="mic-level"
                min="0"
                max="1"
                low="0.05"
                high="0.8"
                optimum="0.4"
                value="0"
              ></meter>
            </label>
          </div>
          <div class="prejoin-side">
            ${renderDeviceCheck(this.check, t)}
            ${problem ? renderDeviceHelp(this.check, t, () => void this.recheck()) : nothing}
            ${renderPickers(state, t, (kind, id) => this.handleDeviceChange(kind, id))}
            ${this.noName ? nothing : this.renderName(t)}
            ${renderError(this.error ?? this.actions.error, (key) => this.localize.error(key))}
            ${this.noJoin ? nothing : this.renderActions(state, problem, t)}
          </div>
        </div>
      </section>
    `;
  }

  private renderName(t: LocalizeController['t']): TemplateResult {
    return html`<label part="field" class="field">
      <span>${t('prejoin.name')}</span>
      <input
        part="name-input"
        type="text"
        autocomplete="name"
        maxlength="80"
        .value=${this.nameDraft ?? this.displayName}
        @input=${(e: Event) => {
          this.nameDraft = (e.target as HTMLInputElement).value;
        }}
      />
    </label>`;
  }

  private renderActions(
    state: SessionState | undefined,
    problem: boolean,
    t: LocalizeController['t'],
  ): TemplateResult {
    const disabled = !state || this.actions.joining || this.busy;
    const button = (part: string, mode: ConsultJoinMode, label: string, primary = false) =>
      html`<button
        part=${part}
        class=${primary ? 'primary' : ''}
        type="button"
        ?disabled=${disabled}
        @click=${() => void this.join(mode)}
      >
        ${label}
      </button>`;
    return html`<div class="actions">
      ${button('join-button', 'normal', t('prejoin.join'), true)}
      ${
        problem && this.check?.microphone === 'ok'
          ? button('join-audio-only-button', 'audio-only', t('prejoin.joinAudioOnly'))
          : nothing
      }
      ${problem ? button('join-without-media-button', 'no-media', t('prejoin.joinWithoutMedia')) : nothing}
    </div>`;
  }
}
