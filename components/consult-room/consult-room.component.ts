import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { ConsultElement } from '../base/consult-element.js';
import { AnnouncerController } from '../controllers/announcer-controller.js';
import { CallClockController } from '../controllers/call-clock-controller.js';
import { LocalizeController } from '../controllers/localize-controller.js';
import { MediaPlaybackController } from '../controllers/media-playback-controller.js';
import { ModalDialogController } from '../controllers/modal-dialog-controller.js';
import { OwnSessionController } from '../controllers/own-session-controller.js';
import { bridgeSessionEvents } from '../controllers/session-event-bridge.js';
import { SessionController } from '../controllers/session-controller.js';
import type { ConsultStrings } from '../i18n/en.js';
import { SessionActionsController } from '../controllers/session-actions-controller.js';
import type { ConsultJoinMode } from '../controllers/session-actions-controller.js';
import type { ConsultPrejoin } from '../consult-prejoin/consult-prejoin.component.js';
import type { PictureInPictureSupport } from '../controllers/picture-in-picture-support.js';
import type { AuthProvider, DeviceCheckReport, FetchToken } from '../../src/index.js';
import type { ConsultSessionLike, SessionState } from '../../src/index.js';
import { buildOwnSession, defaultSessionFactory } from './session-factory.js';
import { InviteController } from './invite-controller.js';
import type { ConsultSessionFactory } from './session-factory.js';
import { callViewOf, customStatesOf, roomSlice, RoomUi } from './room-view.js';
import { screenOf, syncDialogs, type ConsultRoomLayout } from './room-view.js';
import { ChartingController } from './charting.js';
import { chartingControlOf, chartingWindowViewOf, muteRequestViewOf } from './charting-views.js';
import type { ChartingRoom } from './charting-views.js';
import { renderCall } from './views/call.js';
import { downloadRecording, renderEnded, renderFailed, type EndedView } from './views/ended.js';
import { renderPrejoin } from './views/prejoin.js';
import { renderConnecting, renderDenied, renderWaiting } from './views/status.js';
import { styles } from './consult-room.styles.js';

export type { ConsultSessionFactory, ConsultSessionFactoryOptions } from './session-factory.js';
export type { ConsultRoomLayout } from './room-view.js';

/**
 * A complete video consultation: device check, waiting room, call, controls, chat and the end
 * screen, all driven by one `ConsultSessionLike`. It composes `<consult-prejoin>`, `<consult-tile>`
 * and `<consult-chat>` and exports their parts under the names listed here.
 *
 * @summary Drop-in video consultation room.
 * @tagname consult-room
 * @status stable
 * @since 0.1.0
 *
 * @slot header - Above the room (e.g. the portal's title or logo).
 * @slot footer - Below the room.
 * @slot controls - Extra controls, placed before the leave button.
 * @slot empty - Shown in the call while nobody else has joined.
 * @slot error - Replaces the text of an error.
 *
 * @csspart base - The wrapper of everything.
 * @csspart announcer - The visually hidden live region.
 * @csspart prejoin - The pre-join screen.
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
 * @csspart retry-button - Runs the device check or the connection again.
 * @csspart connecting - The connecting screen.
 * @csspart waiting - The waiting-room screen.
 * @csspart denied - The screen shown when admission was denied.
 * @csspart call - The in-call screen.
 * @csspart topbar - The bar with timer and recording indicator.
 * @csspart timer - The call timer.
 * @csspart recording-indicator - Shown to everyone while recording.
 * @csspart recording-notice - "This consultation is being recorded" on the waiting and connecting screens.
 * @csspart recording-stopped - Why the recording stopped (a participant declined or did not answer).
 * @csspart consent-button - Reopens the recording-consent prompt after Escape put it off.
 * @csspart banner - Any banner; also `reconnecting`, `poor-connection` or `autoplay`.
 * @csspart audio-only-button - Switches to audio only (poor connection banner).
 * @csspart enable-sound-button - Resumes sound blocked by the browser.
 * @csspart stage - The video area; `data-layout` is `solo`, `pip` or `grid`.
 * @csspart tile - One participant (or screen share); also `local`, `speaking`, `muted`, `camera-off`, `screen`.
 * @csspart video - A participant's `<video>`.
 * @csspart avatar - Initials shown when the camera is off.
 * @csspart caption - The name and status line of a tile.
 * @csspart name - A participant's name.
 * @csspart status-icon - The muted or speaking icon of a tile.
 * @csspart quality - The connection-quality indicator (icon and text); also `good`, `fair`, `poor` or `unknown`.
 * @csspart lobby - The waiting-room list (providers).
 * @csspart lobby-entry - One waiting person.
 * @csspart admit-button - Admits a waiting person.
 * @csspart deny-button - Denies a waiting person.
 * @csspart tile-menu-button - "More options for <name>" on a remote tile (providers).
 * @csspart tile-menu - The tile's menu.
 * @csspart remove-participant-button - "Remove from consultation" in the tile menu.
 * @csspart ask-to-mute-button - "Ask to mute" in the tile menu (while the participant's microphone is on).
 * @csspart mute-request - The "provider asked you to mute" banner (with part `banner`).
 * @csspart mute-request-button - Mutes the microphone (mute-request banner).
 * @csspart mute-request-dismiss-button - Dismisses the mute request.
 * @csspart charting-button - Pops the call out into a picture-in-picture window (charting mode); pressed while out.
 * @csspart charting-placeholder - Shown in place of the stage while the call is in the charting window.
 * @csspart back-to-tab-button - Brings the call back from the charting window (placeholder).
 * @csspart remove-cancel-button - Keeps the participant (remove dialog).
 * @csspart remove-confirm-button - Removes the participant (remove dialog).
 * @csspart controls - The control bar.
 * @csspart control - Any control button.
 * @csspart mic-button - Microphone toggle.
 * @csspart camera-button - Camera toggle.
 * @csspart screen-button - Screen share toggle.
 * @csspart chat-button - Chat panel toggle.
 * @csspart unread-badge - Unread count on the chat button.
 * @csspart record-button - Recording toggle (providers).
 * @csspart settings-button - Opens the settings dialog.
 * @csspart leave-button - Leaves (after confirmation).
 * @csspart chat-panel - The chat side panel.
 * @csspart dialog - Any dialog; also `leave-dialog`, `consent-dialog`, `settings-dialog` or `remove-dialog`.
 * @csspart dialog-title - A dialog's heading.
 * @csspart leave-cancel-button - Stays in the call (leave dialog).
 * @csspart leave-confirm-button - Leaves the call (leave dialog).
 * @csspart consent-decline-button - Declines the recording (consent dialog).
 * @csspart consent-accept-button - Agrees to the recording (consent dialog).
 * @csspart settings-close-button - Closes the settings dialog.
 * @csspart ended - The end screen.
 * @csspart duration - The call duration on the end screen.
 * @csspart download-button - Downloads the recording.
 * @csspart error - An error message.
 *
 * @cssproperty --consult-room-height - Block size of the room (default 36rem).
 * @cssproperty --consult-room-background - Background of the call area.
 * @cssproperty --consult-room-tile-background - Background of a tile without video.
 * @cssproperty --consult-room-tile-radius - Corner radius of tiles.
 * @cssproperty --consult-room-speaking-color - Outline of the speaking participant.
 * @cssproperty --consult-room-pip-size - Inline size of the picture-in-picture self view.
 * @cssproperty --consult-room-chat-width - Inline size of the chat panel.
 * @cssproperty --consult-color-background - Page-level background.
 * @cssproperty --consult-color-surface - Panels and buttons.
 * @cssproperty --consult-color-text - Text colour.
 * @cssproperty --consult-color-text-muted - Secondary text colour.
 * @cssproperty --consult-color-accent - Accent (join button, pressed toggles, focus).
 * @cssproperty --consult-color-danger - Leave button, recording, errors.
 * @cssproperty --consult-radius-m - Radius of controls.
 * @cssproperty --consult-space-m - Main spacing.
 * @cssproperty --consult-font-family - Font family.
 * @cssproperty [--consult-color-own-message=light-dark(#d8e5fb, #153a6b)] - Background of own messages in the chat panel.
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
 * @cssstate prejoin - The pre-join screen is shown.
 * @cssstate connecting - Joining.
 * @cssstate waiting - In the waiting room.
 * @cssstate connected - In the call.
 * @cssstate reconnecting - The connection is being restored.
 * @cssstate ended - The call is over.
 * @cssstate error - Something failed.
 * @cssstate recording - The consultation is being recorded.
 * @cssstate charting - The call is popped out (charting mode).
 *
 * @event {ConsultJoinEvent} consult-join - The local user joined the call.
 * @event {ConsultLeaveEvent} consult-leave - The local user left, or the call ended for them.
 * @event {ConsultConnectionChangeEvent} consult-connection-change - The connection state changed.
 * @event {ConsultParticipantJoinEvent} consult-participant-join - Someone joined.
 * @event {ConsultParticipantLeaveEvent} consult-participant-leave - Someone left.
 * @event {ConsultRecordingChangeEvent} consult-recording-change - The recording status changed.
 * @event {ConsultUnreadChangeEvent} consult-unread-change - The unread chat count changed (from the chat panel).
 * @event {ConsultDeviceCheckEvent} consult-device-check - The pre-join device check has a result.
 * @event {ConsultErrorEvent} consult-error - Something failed; `detail.error` is a ConsultError.
 * @event {ConsultRequestLeaveEvent} consult-request-leave - The user pressed Leave; cancelable.
 * @event {ConsultChartingChangeEvent} consult-charting-change - The call was popped out into a picture-in-picture window, or came back.
 */
export class ConsultRoom extends ConsultElement {
  static override styles = styles;

  /** The consultation to join (when the room builds its own session). */
  @property({ attribute: 'consult-id' }) consultId = '';

  /** The token server: an API base, or a token URL template with `{consultId}`. */
  @property({ attribute: 'token-url' }) tokenUrl: string | undefined;

  /**
   * An invited guest's invite secret (from the link the provider sent). With `token-url`, the room
   * redeems it once for a guest credential and the invite's consultation, then joins as a guest
   * (no `consult-id` or `auth` needed). A used, expired or revoked invite shows `invite-invalid`.
   */
  @property() invite = '';

  /** The name to show to others (pre-fills the name field). */
  @property({ attribute: 'display-name' }) displayName = '';

  /** Language of the element's text; defaults to the closest `[lang]` ancestor or the document. */
  @property({ reflect: true }) override lang!: string;

  /** `auto` (one-to-one picture-in-picture, three or more a grid), `pip` or `grid`. */
  @property() layout: ConsultRoomLayout = 'auto';

  /** Hides the chat. */
  @property({ type: Boolean, attribute: 'no-chat' }) noChat = false;

  /** Hides the record button (providers). */
  @property({ type: Boolean, attribute: 'no-recording' }) noRecording = false;

  /** Hides the screen-share button. */
  @property({ type: Boolean, attribute: 'no-screen-share' }) noScreenShare = false;

  /**
   * Hides the charting-mode control (popping the call out into a picture-in-picture window), e.g.
   * for a portal that has its own.
   */
  @property({ type: Boolean, attribute: 'no-charting' }) noCharting = false;

  /** Joins with the microphone only: no video is sent or received. */
  @property({ type: Boolean, attribute: 'audio-only' }) audioOnly = false;

  /**
   * A session to drive the room (the SDK's session, or `FakeSession`). The room never disposes a
   * session it was given; without one it builds its own from `consult-id` and `token-url`.
   */
  @property({ attribute: false }) session: ConsultSessionLike | undefined;

  /** The portal's bearer token, or a function returning it (own session only). */
  @property({ attribute: false }) auth: AuthProvider | undefined;

  /** A custom token source instead of `token-url` (own session only). */
  @property({ attribute: false }) fetchToken: FetchToken | undefined;

  /** Overrides of any text, by key (see `components/i18n/en.ts`). */
  @property({ attribute: false }) strings: Partial<ConsultStrings> | undefined;

  /**
   * The browser's Picture-in-Picture support (Document Picture-in-Picture, video
   * Picture-in-Picture); undefined reads the browser's. Replace it in tests.
   */
  @property({ attribute: false }) pictureInPictureSupport: PictureInPictureSupport | undefined;

  /** Builds the room's own session; replace it in tests or to pass extra client options. */
  @property({ attribute: false }) sessionFactory: ConsultSessionFactory = defaultSessionFactory;

  @state() private nameDraft: string | undefined;
  /** A provider asked the local user to mute, not yet answered. */
  @state() private muteRequested = false;

  private readonly ui = new RoomUi(this);
  private readonly localize = new LocalizeController(this);
  private readonly actions = new SessionActionsController(this, () => this.activeSession);
  /** The last pre-join device check, sent with the token request. */
  private deviceCheck: DeviceCheckReport | undefined;
  private readonly own = new OwnSessionController(this, () =>
    buildOwnSession(this, this.nameDraft ?? this.displayName, (e) => this.actions.fail(e)),
  );
  private readonly controller = new SessionController(
    this,
    () => this.activeSession,
    (s) => roomSlice(s, this.ui.chatOpen && !this.noChat),
  );
  private readonly announcer = new AnnouncerController(this);
  private readonly clock = new CallClockController(this, () => this.state?.callStartedAt);
  private readonly dialogs = new ModalDialogController(this, () => this.renderRoot as ShadowRoot);
  private readonly playback = new MediaPlaybackController(
    this,
    () => this.state?.localMedia.audioOutputId,
  );
  private readonly charting = new ChartingController(this, {
    lang: () => this.localize.tag,
    dir: () => this.localize.dir,
    title: () => this.localize.t('charting.title'),
    remoteVideo: () =>
      this.renderRoot
        .querySelector('[part~="tile"]:not([part~="local"]):not([part~="screen"])')
        ?.shadowRoot?.querySelector('video') ?? null,
  });
  /** The session whose call the user has joined (events and announcements are per session). */
  private joinedFor: ConsultSessionLike | undefined;
  private endedAt: number | undefined;

  constructor() {
    super();
    // Registers itself: redeems `invite`, then sets `consultId` and `auth` (guests).
    new InviteController(this, (e) => this.actions.fail(e));
    this.addEventListener('consult-device-check', (e) => {
      this.deviceCheck = { camera: e.detail.camera, microphone: e.detail.microphone };
    });
    bridgeSessionEvents(this.controller, {
      consultId: () => this.consultId,
      hasJoined: () => this.hasJoined,
      isChatVisible: () => this.ui.chatOpen && !this.noChat,
      markJoined: () => (this.joinedFor = this.activeSession),
      markEnded: (endedAt) => {
        this.endedAt = endedAt;
        this.ui.set({ leaveDialogOpen: false, settingsOpen: false });
      },
      announce: (text) => this.announcer.announce(text),
      t: (key, values) => this.localize.t(key, values),
      dispatchEvent: (event) => this.dispatchEvent(event),
    });
    this.controller.on('muteRequested', () => {
      this.muteRequested = true;
      this.announcer.announce(this.localize.t('muteRequest.text'));
    });
  }

  /** The session the room is showing: the given one, else its own. */
  get activeSession(): ConsultSessionLike | undefined {
    return this.session ?? this.own.session;
  }

  private get state(): SessionState | undefined {
    return this.activeSession?.state;
  }

  private get hasJoined(): boolean {
    return this.joinedFor !== undefined && this.joinedFor === this.activeSession;
  }

  /**
   * Joins the consultation with the current device choices. Resolves when connected (or waiting
   * ended); failures are shown and dispatched as `consult-error`, never thrown.
   */
  async join(): Promise<void> {
    const prejoin = this.renderRoot.querySelector<ConsultPrejoin>('consult-prejoin');
    await this.joinWith('normal', prejoin?.name ?? (this.nameDraft ?? this.displayName).trim());
  }

  /** Leaves at once, without the confirmation dialog. */
  async leave(): Promise<void> {
    this.actions.abort();
    this.ui.set({ leaveDialogOpen: false, settingsOpen: false });
    await this.actions.act((s) => s.leave());
  }

  /** Also waits for the sub-elements (pre-join screen, tiles) this update rendered. */
  protected override async getUpdateComplete(): Promise<boolean> {
    const result = await super.getUpdateComplete();
    const children = this.renderRoot.querySelectorAll<ConsultElement>(
      'consult-prejoin, consult-tile',
    );
    await Promise.all([...children].map((child) => child.updateComplete));
    return result;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('session') && this.session) this.own.dispose();
    if (!this.session) this.own.ensure();
    const state = this.state;
    // A deferred prompt is forgotten once the request is answered or withdrawn, so the next one opens.
    if (!state?.recording.consentPending) this.ui.consentDeferred = false;
    // A session handed over mid-call counts as joined (no consult-join: the portal joined it).
    if (state && (state.connection === 'connected' || state.connection === 'reconnecting')) {
      this.joinedFor ??= this.activeSession;
    }
  }

  protected override updated(): void {
    const screen = this.screen;
    const state = this.state;
    for (const [name, on] of Object.entries(customStatesOf(screen, state, this.actions.error))) {
      this.setCustomState(name, on);
    }
    syncDialogs(this.dialogs, this.ui, screen === 'call' ? state : undefined);
    this.setCustomState('charting', this.charting.mode !== undefined);
    if (screen !== 'call' || !state || this.noCharting) this.charting.close();
    else
      this.charting.renderWindow(() =>
        chartingWindowViewOf(this.chartingRoom(), state, this.callView(state)),
      );
  }

  private async joinWith(mode: ConsultJoinMode, typedName: string): Promise<void> {
    this.nameDraft = typedName;
    // Our own session takes the name from the name field at join time (a given session keeps
    // the name it was built with: the field is not shown for it).
    const displayName = this.session ? '' : typedName;
    await this.actions.join(mode, {
      audioOnly: this.audioOnly,
      displayName,
      ...(this.deviceCheck ? { deviceCheck: this.deviceCheck } : {}),
    });
  }

  private retryAfterFailure(): void {
    this.actions.clearError();
    this.joinedFor = this.endedAt = undefined;
    // A given session gets a new pre-join screen (and device check); our own is rebuilt.
    if (this.session) this.requestUpdate();
    else this.own.rebuild();
  }

  private get screen(): ReturnType<typeof screenOf> {
    return screenOf(this.state, this.actions, this.hasJoined);
  }

  override render(): TemplateResult {
    const screen = this.screen;
    const state = this.state;
    const t = this.localize.t.bind(this.localize);
    return html`
      <div part="base" class="base" lang=${this.localize.tag} dir=${this.localize.dir}>
        <slot name="header"></slot>
        ${this.announcer.render()}
        ${
          screen === 'prejoin'
            ? renderPrejoin(this, this.actions, this.nameDraft, (mode, name) =>
                this.joinWith(mode, name),
              )
            : nothing
        }
        ${screen === 'connecting' ? renderConnecting(t, state, this.answerConsent) : nothing}
        ${screen === 'waiting' && state ? renderWaiting(state, t, () => void this.leave()) : nothing}
        ${screen === 'denied' && state ? renderDenied(state, t) : nothing}
        ${screen === 'call' && state ? renderCall(state, this.callView(state)) : nothing}
        ${screen === 'ended' && state ? renderEnded(state, this.endedView()) : nothing}
        ${screen === 'failed' ? renderFailed(state, this.endedView()) : nothing}
        <slot name="footer"></slot>
      </div>
    `;
  }

  private endedView(): EndedView {
    return {
      t: this.localize.t.bind(this.localize),
      errorMessage: (key) => this.localize.error(key),
      error: this.actions.error,
      endedAt: this.endedAt ?? this.clock.now,
      onDownload: () => void this.actions.act(downloadRecording),
      onRetry: () => this.retryAfterFailure(),
    };
  }

  private readonly answerConsent = (granted: boolean): void =>
    void this.actions.act((s) => s.setRecordingConsent(granted));

  /** What the charting and mute-request views read and call (charting-views.ts). */
  private chartingRoom(): ChartingRoom {
    return {
      charting: this.charting,
      noCharting: this.noCharting,
      noChat: this.noChat,
      t: this.localize.t.bind(this.localize),
      lang: this.localize.tag,
      dir: this.localize.dir,
      elapsedSeconds: this.clock.elapsedSeconds,
      muteRequested: this.muteRequested,
      clearMuteRequest: () => (this.muteRequested = false),
      setMicrophoneEnabled: (on) => void this.actions.act((s) => s.setMicrophoneEnabled(on)),
      openChat: () => {
        this.charting.close();
        this.ui.set({ chatOpen: true });
        void this.updateComplete.then(() =>
          this.renderRoot.querySelector<HTMLElement>('consult-chat')?.focus(),
        );
      },
      leave: () => void this.leave(),
      dispatchEvent: (event) => this.dispatchEvent(event),
      requestUpdate: () => this.requestUpdate(),
    };
  }

  private callView(state: SessionState): ReturnType<typeof callViewOf> {
    return callViewOf(this, {
      charting: chartingControlOf(this.chartingRoom(), state),
      muteRequest: muteRequestViewOf(this.chartingRoom(), state),
      onMuteRequestSent: (name) =>
        this.announcer.announce(this.localize.t('announce.muteRequestSent', { name })),
      state,
      lang: this.localize.tag,
      ui: this.ui,
      ended: this.endedView(),
      elapsedSeconds: this.clock.elapsedSeconds,
      playback: this.playback,
      dialogs: this.dialogs,
      act: (action) => void this.actions.act(action),
      focusLater: (selector) =>
        void this.updateComplete.then(() =>
          this.renderRoot.querySelector<HTMLElement>(selector)?.focus(),
        ),
    });
  }
}
