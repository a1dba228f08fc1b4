import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { ConsultElement } from '../base/consult-element.js';
import { icons } from '../base/icons.js';
import { SessionController } from '../controllers/session-controller.js';
import { LocalizeController } from '../controllers/localize-controller.js';
import { ConsultConnectionChangeEvent } from '../events/consult-connection-change.js';
import { ConsultDeviceCheckEvent } from '../events/consult-device-check.js';
import type { ConsultDeviceCheckEventDetail } from '../events/consult-device-check.js';
import { ConsultErrorEvent } from '../events/consult-error.js';
import { ConsultJoinEvent } from '../events/consult-join.js';
import { ConsultLeaveEvent } from '../events/consult-leave.js';
import { ConsultParticipantJoinEvent } from '../events/consult-participant-join.js';
import { ConsultParticipantLeaveEvent } from '../events/consult-participant-leave.js';
import { ConsultRecordingChangeEvent } from '../events/consult-recording-change.js';
import { ConsultRequestLeaveEvent } from '../events/consult-request-leave.js';
import type { ConsultStringKey, ConsultStrings } from '../i18n/en.js';
import {
  ConsultError,
  createConsultClient,
  type AuthProvider,
  type ConsultSessionLike,
  type DeviceInfo,
  type FetchToken,
  type Participant,
  type SessionState,
} from '../../src/index.js';
import { warnOnce } from '../../src/dev.js';
import {
  browserFamily,
  computeDeviceCheck,
  formatDuration,
  isProblem,
  queryPermission,
} from './device-check.js';
import { styles } from './consult-room.styles.js';

/** How the call is laid out. @public */
export type ConsultRoomLayout = 'auto' | 'pip' | 'grid';

/** What the room passes to its session factory when it builds its own session. @public */
export interface ConsultSessionFactoryOptions {
  consultId: string;
  tokenUrl: string | undefined;
  auth: AuthProvider | undefined;
  fetchToken: FetchToken | undefined;
  displayName: string | undefined;
  /** False when the user chose to join without a camera (`audio-only`). */
  video: boolean;
}

/** Builds a session for `<consult-room>` when none is given. @public */
export type ConsultSessionFactory = (options: ConsultSessionFactoryOptions) => ConsultSessionLike;

/** The SDK's client, used when the room builds its own session. */
const defaultSessionFactory: ConsultSessionFactory = (o) =>
  createConsultClient({
    ...(o.tokenUrl !== undefined ? { tokenUrl: o.tokenUrl } : {}),
    ...(o.fetchToken !== undefined ? { fetchToken: o.fetchToken } : {}),
    ...(o.auth !== undefined ? { auth: o.auth } : {}),
  }).createSession(o.consultId, {
    ...(o.displayName ? { displayName: o.displayName } : {}),
    video: o.video,
  });

type View = 'prejoin' | 'connecting' | 'waiting' | 'denied' | 'call' | 'ended' | 'failed';

interface Tile {
  key: string;
  participant: Participant;
  stream: MediaStream | undefined;
  screen: boolean;
}

const FINAL = new Set(['disconnected', 'failed']);
const RECORDING_ACTIVE = new Set(['starting', 'recording', 'awaiting-consent']);

/**
 * A complete video consultation: device check, waiting room, call, controls, chat and the end
 * screen, all driven by one `ConsultSessionLike`.
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
 * @csspart dialog - Any dialog; also `leave-dialog`, `consent-dialog` or `settings-dialog`.
 * @csspart dialog-title - A dialog's heading.
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
 */
export class ConsultRoom extends ConsultElement {
  static override styles = styles;

  /** The consultation to join (when the room builds its own session). */
  @property({ attribute: 'consult-id' }) consultId = '';

  /** The token server: an API base, or a token URL template with `{consultId}`. */
  @property({ attribute: 'token-url' }) tokenUrl: string | undefined;

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

  /** Builds the room's own session; replace it in tests or to pass extra client options. */
  @property({ attribute: false }) sessionFactory: ConsultSessionFactory = defaultSessionFactory;

  @state() private ownSession: ConsultSessionLike | undefined;
  @state() private nameDraft: string | undefined;
  /** Escape put the consent prompt off: the request stays pending until answered. */
  @state() private consentDeferred = false;
  @state() private joining = false;
  @state() private deviceCheck: ConsultDeviceCheckEventDetail | undefined;
  @state() private error: ConsultError | undefined;
  @state() private chatOpen = false;
  @state() private leaveDialogOpen = false;
  @state() private settingsOpen = false;
  @state() private poorDismissed = false;
  @state() private autoplayBlocked = false;
  @state() private announcements: Array<{ id: number; text: string }> = [];
  @state() private now = Date.now();

  @query('.mic-level') private meterEl!: HTMLMeterElement | null;

  private readonly localize = new LocalizeController(this);
  private readonly controller = new SessionController(this, () => this.activeSession);
  private previewFor: ConsultSessionLike | undefined;
  private joinAbort: AbortController | undefined;
  /** The session whose call the user has joined (events and announcements are per session). */
  private joinedFor: ConsultSessionLike | undefined;
  private endedAt: number | undefined;
  private announceSeq = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly played = new WeakMap<HTMLVideoElement, MediaStream>();
  private dialogOpener: HTMLElement | null = null;
  private audio: { context: AudioContext; stream: MediaStream; frame: number } | undefined;

  constructor() {
    super();
    const c = this.controller;
    c.on('connectionChanged', ({ connection, previous, reason }) => {
      this.dispatchEvent(new ConsultConnectionChangeEvent({ connection, previous, reason }));
      const state = this.activeSession?.state;
      if (connection === 'connected' && !this.hasJoined) {
        this.joinedFor = this.activeSession;
        this.announce(this.t('announce.joined'));
        this.dispatchEvent(
          new ConsultJoinEvent({
            consultId: state?.consultId ?? this.consultId,
            participant: state?.participants.find((p) => p.isLocal),
            role: state?.role,
          }),
        );
      } else if (connection === 'connected' && previous === 'reconnecting') {
        this.announce(this.t('announce.reconnected'));
      } else if (connection === 'reconnecting') {
        this.announce(this.t('announce.reconnecting'));
      } else if (FINAL.has(connection)) {
        this.endedAt = state?.endedAt ?? Date.now();
        this.closeDialogs();
        if (this.hasJoined) {
          this.announce(this.t(reason === 'left' ? 'announce.left' : 'ended.title'));
          const started = state?.callStartedAt;
          this.dispatchEvent(
            new ConsultLeaveEvent({
              connection,
              reason,
              duration:
                started !== undefined ? Math.round((this.endedAt - started) / 1000) : undefined,
            }),
          );
        }
      }
    });
    c.on('participantJoined', ({ participant }) => {
      if (participant.isLocal) return;
      this.announce(this.t('announce.participantJoined', { name: participant.displayName }));
      this.dispatchEvent(new ConsultParticipantJoinEvent({ participant }));
    });
    c.on('participantLeft', ({ participant, reason }) => {
      if (participant.isLocal) return;
      this.announce(this.t('announce.participantLeft', { name: participant.displayName }));
      this.dispatchEvent(new ConsultParticipantLeaveEvent({ participant, reason }));
    });
    c.onState((next, previous) => {
      const was = previous.recording.status;
      const is = next.recording.status;
      if (is === 'recording' && was !== 'recording')
        this.announce(this.t('announce.recordingStarted'));
      if (was === 'recording' && is !== 'recording')
        this.announce(this.t('announce.recordingStopped'));
      const known = new Set(previous.lobby.map((e) => e.userId));
      if (next.role === 'provider') {
        for (const entry of next.lobby) {
          if (!known.has(entry.userId)) {
            this.announce(this.t('announce.waiting', { name: entry.displayName }));
          }
        }
      }
    });
    c.on('recordingChanged', ({ recording }) => {
      this.dispatchEvent(new ConsultRecordingChangeEvent({ recording }));
    });
    c.on('messageReceived', ({ message }) => {
      if (message.isLocal || message.fromHistory || (this.chatOpen && !this.noChat)) return;
      this.announce(this.t('announce.message', { name: message.senderName }));
    });
    c.on('error', ({ error }) => {
      this.dispatchEvent(new ConsultErrorEvent({ error }));
    });
  }

  /** The session the room is showing: the given one, else its own. */
  get activeSession(): ConsultSessionLike | undefined {
    return this.session ?? this.ownSession;
  }

  /**
   * Joins the consultation with the current device choices. Resolves when connected (or waiting
   * ended); failures are shown and dispatched as `consult-error`, never thrown.
   */
  async join(): Promise<void> {
    await this.joinWith('normal');
  }

  /** Leaves at once, without the confirmation dialog. */
  async leave(): Promise<void> {
    this.joinAbort?.abort();
    this.closeDialogs();
    const session = this.activeSession;
    if (!session) return;
    try {
      await session.leave();
    } catch (error) {
      this.fail(error);
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => {
      if (this.activeSession?.state.callStartedAt !== undefined) this.now = Date.now();
    }, 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
    this.stopMeter();
    this.joinAbort?.abort();
    // A move in the DOM disconnects and reconnects in one task: dispose only if still detached.
    queueMicrotask(() => {
      if (!this.isConnected) this.disposeOwnSession();
    });
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('session') && this.session && this.ownSession) this.disposeOwnSession();
    if (!this.session && !this.ownSession && this.isConnected) this.createOwnSession();
    const state = this.activeSession?.state;
    // A deferred prompt is forgotten once the request is answered or withdrawn, so the next one opens.
    if (!state?.recording.consentPending) this.consentDeferred = false;
    if (state?.callStartedAt !== undefined) this.now = Date.now();
    // A session handed over mid-call counts as joined (no consult-join: the portal joined it).
    if (state && (state.connection === 'connected' || state.connection === 'reconnecting')) {
      this.joinedFor ??= this.activeSession;
    }
  }

  private get hasJoined(): boolean {
    return this.joinedFor !== undefined && this.joinedFor === this.activeSession;
  }

  protected override updated(): void {
    const session = this.activeSession;
    const view = this.view;
    if (session && session !== this.previewFor && session.state.connection === 'idle') {
      this.previewFor = session;
      void this.runDeviceCheck(session);
    }
    this.syncStates(view);
    this.syncDialogs();
    this.syncMeter(view);
    this.syncVideos();
  }

  // ── session ownership ───────────────────────────────────────────────────────────────────────

  private createOwnSession(name = this.displayName): void {
    if (!this.consultId || (!this.tokenUrl && !this.fetchToken)) {
      if (this.consultId || this.tokenUrl) {
        warnOnce(
          'room-missing-session',
          '<consult-room> needs `.session`, or `consult-id` with `token-url` (or `.fetchToken`).',
        );
      }
      return;
    }
    try {
      this.ownSession = this.sessionFactory({
        consultId: this.consultId,
        tokenUrl: this.tokenUrl,
        auth: this.auth,
        fetchToken: this.fetchToken,
        displayName: name || undefined,
        video: !this.audioOnly,
      });
    } catch (error) {
      this.fail(error);
    }
  }

  private disposeOwnSession(): void {
    const own = this.ownSession;
    this.ownSession = undefined;
    if (own) void own.leave().catch(() => undefined);
  }

  // ── pre-join ───────────────────────────────────────────────────────────────────────────────

  private async runDeviceCheck(session: ConsultSessionLike): Promise<void> {
    this.deviceCheck = undefined;
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
    if (session !== this.activeSession) return;
    const result = computeDeviceCheck(session.state, failure, permission);
    this.deviceCheck = result;
    this.dispatchEvent(new ConsultDeviceCheckEvent(result));
  }

  private async joinWith(mode: 'normal' | 'audio-only' | 'no-media'): Promise<void> {
    if (this.joining) return;
    this.error = undefined;
    this.joining = true;
    try {
      const session = this.activeSession;
      if (!session) throw ConsultError.invalidState('The room has no session to join.');
      if (mode === 'audio-only' || (this.audioOnly && mode === 'normal')) {
        await session.setAudioOnly(true);
      } else if (mode === 'no-media') {
        await session.setCameraEnabled(false).catch(() => undefined);
        await session.setMicrophoneEnabled(false).catch(() => undefined);
      }
      this.stopMeter();
      this.joinAbort = new AbortController();
      // Our own session takes the name from the name field at join time (a given session keeps
      // the name it was built with: the field is not shown for it).
      const name = this.session ? '' : (this.nameDraft ?? this.displayName).trim();
      await session.connect({
        signal: this.joinAbort.signal,
        ...(name ? { displayName: name } : {}),
      });
    } catch (error) {
      this.fail(error);
    } finally {
      this.joining = false;
    }
  }

  private async retryAfterFailure(): Promise<void> {
    this.error = undefined;
    this.joinedFor = undefined;
    this.endedAt = undefined;
    if (this.session) {
      this.previewFor = undefined;
      this.requestUpdate();
      return;
    }
    this.disposeOwnSession();
    this.createOwnSession(this.nameDraft ?? this.displayName);
  }

  // ── actions ────────────────────────────────────────────────────────────────────────────────

  private async act(action: (session: ConsultSessionLike) => Promise<unknown>): Promise<void> {
    const session = this.activeSession;
    if (!session) return;
    try {
      await action(session);
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    const consultError = ConsultError.from(error);
    if (consultError.code === 'aborted') return;
    this.error = consultError;
    this.dispatchEvent(new ConsultErrorEvent({ error: consultError }));
  }

  private handleLeaveClick(event: Event): void {
    const request = new ConsultRequestLeaveEvent({ source: 'user' });
    this.dispatchEvent(request);
    if (request.defaultPrevented) return;
    this.dialogOpener = event.currentTarget as HTMLElement;
    this.leaveDialogOpen = true;
  }

  private handleCameraClick(): void {
    const media = this.activeSession?.state.localMedia;
    if (!media) return;
    void this.act(async (s) => {
      if (media.audioOnly && !media.videoEnabled) await s.setAudioOnly(false);
      await s.setCameraEnabled(!media.videoEnabled);
    });
  }

  private handleRecordClick(): void {
    const status = this.activeSession?.state.recording.status ?? 'idle';
    void this.act((s) => (RECORDING_ACTIVE.has(status) ? s.stopRecording() : s.startRecording()));
  }

  private handleChatToggle(): void {
    this.chatOpen = !this.chatOpen;
    if (this.chatOpen) {
      void this.updateComplete.then(() => this.renderRoot.querySelector('consult-chat')?.focus());
    }
  }

  private handleChatClose(): void {
    this.chatOpen = false;
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>('[part~="chat-button"]')?.focus(),
    );
  }

  private async handleDownload(): Promise<void> {
    await this.act(async (s) => {
      const { url, fileName } = await s.downloadRecording();
      const link = document.createElement('a');
      link.href = url;
      link.download = fileName;
      link.rel = 'noopener';
      link.click();
    });
  }

  private handleDeviceChange(kind: 'audioinput' | 'videoinput' | 'audiooutput', e: Event): void {
    const deviceId = (e.target as HTMLSelectElement).value;
    void this.act((s) =>
      kind === 'audiooutput' ? s.selectAudioOutput(deviceId) : s.selectDevice(kind, deviceId),
    );
  }

  private async enableSound(): Promise<void> {
    const videos = [...this.renderRoot.querySelectorAll('video')];
    try {
      await Promise.all(videos.filter((v) => v.srcObject).map((v) => v.play()));
      this.autoplayBlocked = false;
    } catch {
      this.autoplayBlocked = true;
    }
  }

  // ── side effects after render ──────────────────────────────────────────────────────────────

  private syncStates(view: View): void {
    const state = this.activeSession?.state;
    this.setCustomState('prejoin', view === 'prejoin');
    this.setCustomState('connecting', view === 'connecting');
    this.setCustomState('waiting', view === 'waiting');
    this.setCustomState('connected', state?.connection === 'connected');
    this.setCustomState('reconnecting', state?.connection === 'reconnecting');
    this.setCustomState('ended', view === 'ended' || view === 'denied' || view === 'failed');
    this.setCustomState('error', this.error !== undefined || view === 'failed');
    this.setCustomState('recording', state?.recording.status === 'recording');
  }

  private syncDialogs(): void {
    const state = this.activeSession?.state;
    const inCall = this.view === 'call';
    this.syncDialog('leave', this.leaveDialogOpen && inCall);
    this.syncDialog(
      'consent',
      inCall && state?.recording.consentPending === true && !this.consentDeferred,
    );
    this.syncDialog('settings', this.settingsOpen && inCall);
  }

  private syncDialog(name: string, open: boolean): void {
    const dialog = this.renderRoot.querySelector<HTMLDialogElement>(`dialog.${name}`);
    if (!dialog) return;
    if (open && !dialog.open) {
      this.dialogOpener ??= (this.renderRoot as ShadowRoot).activeElement as HTMLElement | null;
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }

  private handleDialogClose(name: 'leave' | 'consent' | 'settings'): void {
    if (name === 'leave') this.leaveDialogOpen = false;
    if (name === 'settings') this.settingsOpen = false;
    const opener = this.dialogOpener;
    this.dialogOpener = null;
    // Focus goes back to the control that opened the dialog (when it is still there).
    if (opener?.isConnected) opener.focus();
  }

  private handleConsentCancel(): void {
    // Escape (or the platform's back gesture) means "not now", not "no": the dialog closes, the
    // request stays pending (nothing is recorded without a yes) and the consent button in the top
    // bar opens it again.
    this.consentDeferred = true;
  }

  private closeDialogs(): void {
    this.leaveDialogOpen = false;
    this.settingsOpen = false;
  }

  private syncMeter(view: View): void {
    const stream = this.activeSession?.state.localMedia.previewStream;
    const hasAudio = (stream?.getAudioTracks().length ?? 0) > 0;
    if (view !== 'prejoin' || !stream || !hasAudio || !this.meterEl) {
      this.stopMeter();
      return;
    }
    if (this.audio?.stream === stream) return;
    this.stopMeter();
    const AudioContextCtor = globalThis.AudioContext as typeof AudioContext | undefined;
    if (!AudioContextCtor) return;
    try {
      const context = new AudioContextCtor();
      const analyser = context.createAnalyser();
      analyser.fftSize = 512;
      context.createMediaStreamSource(stream).connect(analyser);
      const data = new Uint8Array(analyser.fftSize);
      const tick = (): void => {
        analyser.getByteTimeDomainData(data);
        let peak = 0;
        for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
        // Written straight to the <meter> so a 60 Hz level does not re-render the element.
        if (this.meterEl) this.meterEl.value = Math.min(1, peak / 64);
        if (this.audio) this.audio.frame = requestAnimationFrame(tick);
      };
      this.audio = { context, stream, frame: requestAnimationFrame(tick) };
    } catch {
      // No Web Audio (or the stream has no live audio): the meter stays at zero.
    }
  }

  private stopMeter(): void {
    if (!this.audio) return;
    cancelAnimationFrame(this.audio.frame);
    void this.audio.context.close().catch(() => undefined);
    this.audio = undefined;
  }

  private syncVideos(): void {
    const sinkId = this.activeSession?.state.localMedia.audioOutputId;
    for (const video of this.renderRoot.querySelectorAll('video')) {
      const stream = video.srcObject;
      if (sinkId && 'setSinkId' in video && !video.muted) {
        const withSink = video as HTMLVideoElement & {
          sinkId: string;
          setSinkId(id: string): Promise<void>;
        };
        if (withSink.sinkId !== sinkId) void withSink.setSinkId(sinkId).catch(() => undefined);
      }
      if (!(stream instanceof MediaStream) || this.played.get(video) === stream) continue;
      this.played.set(video, stream);
      video.play().catch((error: unknown) => {
        if ((error as { name?: unknown }).name === 'NotAllowedError') this.autoplayBlocked = true;
      });
    }
  }

  private announce(text: string): void {
    // Each announcement is a new node in the polite live region; the last few stay.
    this.announcements = [...this.announcements.slice(-4), { id: ++this.announceSeq, text }];
  }

  private t(key: ConsultStringKey, values?: Record<string, string | number>): string {
    return this.localize.t(key, values);
  }

  // ── rendering ──────────────────────────────────────────────────────────────────────────────

  private get view(): View {
    const state = this.activeSession?.state;
    if (!state) return this.error ? 'failed' : 'prejoin';
    switch (state.connection) {
      case 'idle':
        return this.joining ? 'connecting' : 'prejoin';
      case 'fetching-token':
      case 'connecting':
        return 'connecting';
      case 'waiting':
        return 'waiting';
      case 'connected':
      case 'reconnecting':
        return 'call';
      default:
        if (state.connectionReason === 'denied') return 'denied';
        return state.connection === 'failed' && !this.hasJoined ? 'failed' : 'ended';
    }
  }

  override render(): TemplateResult {
    const view = this.view;
    const state = this.activeSession?.state;
    return html`
      <div part="base" class="base" lang=${this.localize.tag} dir=${this.localize.dir}>
        <slot name="header"></slot>
        <div part="announcer" class="visually-hidden" role="status" aria-live="polite">
          ${repeat(
            this.announcements,
            (a) => a.id,
            (a) => html`<p>${a.text}</p>`,
          )}
        </div>
        ${view === 'prejoin' ? this.renderPrejoin(state) : nothing}
        ${view === 'connecting' ? this.renderConnecting() : nothing}
        ${view === 'waiting' && state ? this.renderWaiting(state) : nothing}
        ${view === 'denied' && state ? this.renderDenied(state) : nothing}
        ${view === 'call' && state ? this.renderCall(state) : nothing}
        ${view === 'ended' && state ? this.renderEnded(state) : nothing}
        ${view === 'failed' ? this.renderFailed(state) : nothing}
        <slot name="footer"></slot>
      </div>
    `;
  }

  private renderError(error: ConsultError | undefined): TemplateResult | typeof nothing {
    if (!error) return nothing;
    return html`<div part="error" class="error" role="alert">
      ${icons.alert}<span><slot name="error">${this.localize.error(error.messageKey)}</slot></span>
    </div>`;
  }

  private renderPrejoin(state: SessionState | undefined): TemplateResult {
    const t = this.t.bind(this);
    const media = state?.localMedia;
    const stream = media?.previewStream;
    const check = this.deviceCheck;
    const showVideo = !!stream && stream.getVideoTracks().length > 0 && !!media?.videoEnabled;
    const problem = isProblem(check?.camera) || isProblem(check?.microphone);
    const micOk = check?.microphone === 'ok';
    return html`
      <section part="prejoin" class="screen prejoin" aria-labelledby="prejoin-title">
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
            ${this.renderDeviceCheck(check)} ${problem ? this.renderDeviceHelp(check) : nothing}
            ${this.renderPickers(state)}
            ${
              this.session
                ? nothing
                : html`<label part="field" class="field">
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
                  </label>`
            }
            ${this.renderError(this.error)}
            <div class="actions">
              <button
                part="join-button"
                class="primary"
                type="button"
                ?disabled=${!state || this.joining}
                @click=${() => void this.joinWith('normal')}
              >
                ${t('prejoin.join')}
              </button>
              ${
                problem
                  ? html`${
                        micOk
                          ? html`<button
                              part="join-audio-only-button"
                              type="button"
                              ?disabled=${!state || this.joining}
                              @click=${() => void this.joinWith('audio-only')}
                            >
                              ${t('prejoin.joinAudioOnly')}
                            </button>`
                          : nothing
                      }
                      <button
                        part="join-without-media-button"
                        type="button"
                        ?disabled=${!state || this.joining}
                        @click=${() => void this.joinWith('no-media')}
                      >
                        ${t('prejoin.joinWithoutMedia')}
                      </button>`
                  : nothing
              }
            </div>
          </div>
        </div>
      </section>
    `;
  }

  private renderDeviceCheck(check: ConsultDeviceCheckEventDetail | undefined): TemplateResult {
    const t = this.t.bind(this);
    const item = (ok: boolean, okText: string, problemText: string): TemplateResult => html`
      <li
        part="device-status ${ok ? 'ok' : 'problem'}"
        class="device-status ${ok ? 'ok' : 'problem'}"
      >
        ${ok ? icons.check : icons.alert}<span>${ok ? okText : problemText}</span>
      </li>
    `;
    // One stable live region whose content changes, so the result is announced.
    return html`<div part="device-check" class="device-check" role="status">
      ${
        check
          ? html`<ul class="device-list">
              ${
                check.camera === 'off'
                  ? nothing
                  : item(check.camera === 'ok', t('check.cameraOk'), t('check.cameraProblem'))
              }
              ${
                check.microphone === 'off'
                  ? nothing
                  : item(
                      check.microphone === 'ok',
                      t('check.microphoneOk'),
                      t('check.microphoneProblem'),
                    )
              }
            </ul>`
          : html`<p>${t('check.checking')}</p>`
      }
    </div>`;
  }

  private renderDeviceHelp(check: ConsultDeviceCheckEventDetail | undefined): TemplateResult {
    const t = this.t.bind(this);
    const statuses = [check?.camera, check?.microphone];
    const kind = statuses.includes('denied')
      ? 'denied'
      : statuses.includes('insecure')
        ? 'insecure'
        : statuses.includes('in-use')
          ? 'inUse'
          : 'missing';
    const steps =
      kind === 'denied' ? t(`help.steps.${browserFamily(navigator.userAgent)}`).split('\n') : [];
    return html`
      <div part="device-help" class="device-help" role="alert" aria-labelledby="help-title">
        <h3 id="help-title" class="help-title">${icons.alert} ${t(`help.${kind}.title`)}</h3>
        <p>${t(`help.${kind}.intro`)}</p>
        ${
          steps.length
            ? html`<ol class="steps">
                ${steps.map((s) => html`<li>${s}</li>`)}
              </ol>`
            : nothing
        }
        <p>${t('help.orJoin')}</p>
        ${
          kind !== 'insecure'
            ? html`<button
                part="retry-button"
                type="button"
                @click=${() => {
                  const s = this.activeSession;
                  if (s) void this.runDeviceCheck(s);
                }}
              >
                ${icons.retry} ${t('prejoin.retry')}
              </button>`
            : nothing
        }
      </div>
    `;
  }

  private renderPickers(state: SessionState | undefined): TemplateResult | typeof nothing {
    if (!state) return nothing;
    const t = this.t.bind(this);
    const media = state.localMedia;
    const picker = (
      kind: DeviceInfo['kind'],
      part: string,
      label: string,
      selected: string | undefined,
    ): TemplateResult | typeof nothing => {
      const devices = state.devices.filter((d) => d.kind === kind);
      if (devices.length === 0) return nothing;
      return html`<label part="field" class="field">
        <span>${label}</span>
        <select part=${part} @change=${(e: Event) => this.handleDeviceChange(kind, e)}>
          ${devices.map(
            (d, i) =>
              html`<option value=${d.deviceId} ?selected=${d.deviceId === selected}>
                ${d.label || t('device.unnamed', { kind: label, index: i + 1 })}
              </option>`,
          )}
        </select>
      </label>`;
    };
    return html`<div class="pickers">
      ${picker('videoinput', 'camera-select', t('device.camera'), media.videoDeviceId)}
      ${picker('audioinput', 'microphone-select', t('device.microphone'), media.audioDeviceId)}
      ${
        media.canSelectAudioOutput
          ? picker('audiooutput', 'speaker-select', t('device.speaker'), media.audioOutputId)
          : nothing
      }
    </div>`;
  }

  private renderConnecting(): TemplateResult {
    return html`<section part="connecting" class="screen centered" aria-busy="true">
      <div class="spinner" aria-hidden="true"></div>
      <p class="title">${this.t('state.connecting')}</p>
    </section>`;
  }

  private renderWaiting(state: SessionState): TemplateResult {
    const t = this.t.bind(this);
    return html`<section part="waiting" class="screen centered" aria-labelledby="waiting-title">
      <div class="spinner" aria-hidden="true"></div>
      <h2 id="waiting-title" class="title">${t('waiting.title')}</h2>
      ${
        state.waitingPosition !== undefined
          ? html`<p>${t('waiting.position', { position: state.waitingPosition })}</p>`
          : nothing
      }
      <button part="leave-button" class="danger" type="button" @click=${() => void this.leave()}>
        ${icons.leave} ${t('controls.leave')}
      </button>
    </section>`;
  }

  private renderDenied(state: SessionState): TemplateResult {
    const t = this.t.bind(this);
    const reason = state.error?.details?.['reason'];
    return html`<section part="denied" class="screen centered" aria-labelledby="denied-title">
      <h2 id="denied-title" class="title">${t('waiting.denied')}</h2>
      ${
        typeof reason === 'string' && reason
          ? html`<p class="reason">${t('waiting.reason', { reason })}</p>`
          : nothing
      }
    </section>`;
  }

  private renderFailed(state: SessionState | undefined): TemplateResult {
    const t = this.t.bind(this);
    const error = this.error ?? state?.error;
    return html`<section part="ended" class="screen centered" aria-labelledby="failed-title">
      <h2 id="failed-title" class="title">${t('ended.failed')}</h2>
      ${this.renderError(error)}
      ${
        error?.recoverable !== false
          ? html`<button
              part="retry-button"
              class="primary"
              type="button"
              @click=${() => void this.retryAfterFailure()}
            >
              ${icons.retry} ${t('prejoin.retry')}
            </button>`
          : nothing
      }
    </section>`;
  }

  private renderEnded(state: SessionState): TemplateResult {
    const t = this.t.bind(this);
    const started = state.callStartedAt;
    const ended = state.endedAt ?? this.endedAt ?? this.now;
    const recording = state.recording;
    return html`<section part="ended" class="screen centered" aria-labelledby="ended-title">
      <h2 id="ended-title" class="title">${t('ended.title')}</h2>
      ${
        started !== undefined
          ? html`<p part="duration">
              ${t('ended.duration', { duration: formatDuration((ended - started) / 1000) })}
            </p>`
          : nothing
      }
      ${
        recording.status === 'ready' && recording.downloadable
          ? html`<button
              part="download-button"
              class="primary"
              type="button"
              @click=${() => void this.handleDownload()}
            >
              ${icons.download} ${t('ended.download')}
            </button>`
          : nothing
      }
      ${
        recording.status === 'processing' || recording.status === 'stopping'
          ? html`<p role="status">${t('ended.processing')}</p>`
          : nothing
      }
      ${this.renderError(this.error)}
    </section>`;
  }

  private tiles(state: SessionState): Tile[] {
    const tiles: Tile[] = [];
    for (const p of state.participants) {
      if (p.screenSharing && p.screenStream) {
        tiles.push({ key: `${p.id}:screen`, participant: p, stream: p.screenStream, screen: true });
      }
    }
    const remote = state.participants.filter((p) => !p.isLocal);
    const local = state.participants.filter((p) => p.isLocal);
    // Remote people first (the large tile in picture-in-picture), yourself last.
    for (const p of [...remote, ...local]) {
      tiles.push({ key: p.id, participant: p, stream: p.stream, screen: false });
    }
    return tiles;
  }

  private layoutFor(tiles: Tile[]): 'solo' | 'pip' | 'grid' {
    if (tiles.length <= 1) return 'solo';
    if (this.layout === 'grid') return 'grid';
    if (this.layout === 'pip') return 'pip';
    return tiles.length === 2 ? 'pip' : 'grid';
  }

  private renderCall(state: SessionState): TemplateResult {
    const t = this.t.bind(this);
    const tiles = this.tiles(state);
    const layout = this.layoutFor(tiles);
    const media = state.localMedia;
    const recording = state.recording;
    const isProvider = state.role === 'provider';
    const started = state.callStartedAt;
    const alone = !state.participants.some((p) => !p.isLocal);
    return html`
      <section
        part="call"
        class="call ${this.chatOpen && !this.noChat ? 'with-chat' : ''}"
        aria-label=${t('call.label')}
      >
        <div class="main">
          <div part="topbar" class="topbar">
            ${
              started !== undefined
                ? html`<span part="timer" class="timer" role="timer" aria-label=${t('call.timer')}
                    >${icons.clock}${formatDuration((this.now - started) / 1000)}</span
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
              recording.status === 'awaiting-consent' || recording.consent.requested
                ? html`<span class="awaiting">${t('recording.awaitingConsent')}</span>`
                : nothing
            }
            ${
              recording.consentPending && this.consentDeferred
                ? html`<button
                    part="consent-button"
                    class="consent-button"
                    type="button"
                    aria-haspopup="dialog"
                    @click=${() => (this.consentDeferred = false)}
                  >
                    ${t('consent.answer')}
                  </button>`
                : nothing
            }
          </div>
          ${
            state.connection === 'reconnecting'
              ? html`<div part="banner reconnecting" class="banner warning">
                  <div class="spinner small" aria-hidden="true"></div>
                  <span>${t('banner.reconnecting')}</span>
                </div>`
              : nothing
          }
          ${
            media.audioOnlySuggested && !media.audioOnly && !this.poorDismissed
              ? html`<div part="banner poor-connection" class="banner warning">
                  ${icons.bars(1)}<span>${t('banner.poor')}</span>
                  <button
                    part="audio-only-button"
                    type="button"
                    @click=${() => void this.act((s) => s.setAudioOnly(true))}
                  >
                    ${t('banner.audioOnly')}
                  </button>
                  <button type="button" @click=${() => (this.poorDismissed = true)}>
                    ${t('banner.dismiss')}
                  </button>
                </div>`
              : nothing
          }
          ${
            this.autoplayBlocked
              ? html`<div part="banner autoplay" class="banner">
                  ${icons.sound}<span>${t('banner.autoplay')}</span>
                  <button
                    part="enable-sound-button"
                    class="primary"
                    type="button"
                    @click=${() => void this.enableSound()}
                  >
                    ${t('banner.enableSound')}
                  </button>
                </div>`
              : nothing
          }
          ${this.renderError(this.error)}
          ${isProvider && state.lobby.length > 0 ? this.renderLobby(state) : nothing}
          <div part="stage" class="stage" data-layout=${layout}>
            ${repeat(
              tiles,
              (tile) => tile.key,
              (tile, i) => this.renderTile(tile, layout === 'pip' && i > 0 && !tile.screen),
            )}
            ${
              alone
                ? html`<p class="alone"><slot name="empty">${t('call.alone')}</slot></p>`
                : nothing
            }
          </div>
          ${this.renderControls(state)}
        </div>
        ${
          this.noChat
            ? nothing
            : html`<aside
                part="chat-panel"
                class="chat-panel"
                aria-label=${t('chat.title')}
                ?hidden=${!this.chatOpen}
              >
                <consult-chat
                  .session=${this.activeSession}
                  .strings=${this.strings}
                  lang=${this.localize.tag}
                  exportparts="log: chat-log, message: chat-message, composer: chat-composer, input: chat-input, send-button: chat-send-button"
                >
                  <div slot="header" class="chat-header">
                    <h2 class="chat-title">${t('chat.title')}</h2>
                    <button
                      type="button"
                      class="icon-button"
                      aria-label=${t('chat.close')}
                      @click=${this.handleChatClose}
                    >
                      ${icons.close}
                    </button>
                  </div>
                </consult-chat>
              </aside>`
        }
      </section>
      ${this.renderDialogs(state)}
    `;
  }

  private renderTile(tile: Tile, small: boolean): TemplateResult {
    const t = this.t.bind(this);
    const p = tile.participant;
    const name = tile.screen
      ? t('call.screen', { name: p.displayName })
      : p.isLocal
        ? t('call.you', { name: p.displayName })
        : p.displayName;
    const cameraOff = !tile.screen && (!p.videoEnabled || !tile.stream);
    const muted = !tile.screen && !p.audioEnabled;
    const speaking = !tile.screen && p.speaking;
    const states = [
      muted ? t('tile.micOff') : '',
      cameraOff ? t('tile.cameraOff') : '',
      speaking ? t('tile.speaking') : '',
    ]
      .filter(Boolean)
      .join(', ');
    const label = states ? `${name}, ${states}` : name;
    const parts = [
      'tile',
      p.isLocal && !tile.screen ? 'local' : '',
      speaking ? 'speaking' : '',
      muted ? 'muted' : '',
      cameraOff ? 'camera-off' : '',
      tile.screen ? 'screen' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const level = p.quality.level;
    const initials = p.displayName
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w[0]?.toUpperCase() ?? '')
      .join('');
    return html`
      <div
        part=${parts}
        class="tile ${small ? 'small' : ''} ${speaking ? 'speaking' : ''}"
        role="group"
        aria-label=${label}
        data-id=${p.id}
      >
        <video
          part="video"
          class="video ${cameraOff ? 'hidden-video' : ''}"
          .srcObject=${tile.stream ?? null}
          .muted=${p.isLocal}
          playsinline
          autoplay
          aria-hidden="true"
        ></video>
        ${cameraOff ? html`<div part="avatar" class="avatar" aria-hidden="true">${initials}</div>` : nothing}
        <div part="caption" class="caption">
          <span part="name" class="name">${name}</span>
          ${muted ? html`<span part="status-icon" class="status-icon muted-icon" aria-hidden="true">${icons.micOff}</span>` : nothing}
          ${speaking ? html`<span part="status-icon" class="status-icon speaking-icon" aria-hidden="true">${icons.speaking}</span>` : nothing}
          ${
            tile.screen
              ? nothing
              : html`<span part="quality ${level}" class="quality ${level}"
                  >${icons.bars(level === 'good' ? 3 : level === 'fair' ? 2 : level === 'poor' ? 1 : 0)}<span
                    class="quality-text"
                    >${t(`quality.${level}`)}</span
                  ></span
                >`
          }
        </div>
      </div>
    `;
  }

  private renderLobby(state: SessionState): TemplateResult {
    const t = this.t.bind(this);
    return html`<section part="lobby" class="lobby" aria-labelledby="lobby-title">
      <h2 id="lobby-title" class="lobby-title">${t('lobby.title')}</h2>
      <ul>
        ${repeat(
          state.lobby,
          (e) => e.userId,
          (e) =>
            html`<li part="lobby-entry" class="lobby-entry">
              <span class="name">${e.displayName}</span>
              <span class="lobby-actions">
                <button
                  part="admit-button"
                  class="primary"
                  type="button"
                  aria-label=${t('lobby.admitName', { name: e.displayName })}
                  @click=${() => void this.act((s) => s.admit(e.userId))}
                >
                  ${t('lobby.admit')}
                </button>
                <button
                  part="deny-button"
                  type="button"
                  aria-label=${t('lobby.denyName', { name: e.displayName })}
                  @click=${() => void this.act((s) => s.deny(e.userId))}
                >
                  ${t('lobby.deny')}
                </button>
              </span>
            </li>`,
        )}
      </ul>
    </section>`;
  }

  private renderControls(state: SessionState): TemplateResult {
    const t = this.t.bind(this);
    const media = state.localMedia;
    const unread = state.chat.unread;
    const recordingActive = RECORDING_ACTIVE.has(state.recording.status);
    const control = (
      part: string,
      icon: TemplateResult,
      label: string,
      pressed: boolean | undefined,
      onClick: (e: Event) => void,
      extra: TemplateResult | typeof nothing = nothing,
    ): TemplateResult =>
      html`<button
        part="control ${part}"
        class="control ${pressed ? 'pressed' : ''}"
        type="button"
        aria-pressed=${pressed === undefined ? nothing : String(pressed)}
        @click=${onClick}
      >
        ${icon}<span class="label">${label}</span>${extra}
      </button>`;
    return html`<div
      part="controls"
      class="controls"
      role="group"
      aria-label=${t('controls.label')}
    >
      ${control(
        'mic-button',
        media.audioEnabled ? icons.mic : icons.micOff,
        t('controls.microphone'),
        media.audioEnabled,
        () => void this.act((s) => s.setMicrophoneEnabled(!media.audioEnabled)),
      )}
      ${control(
        'camera-button',
        media.videoEnabled ? icons.camera : icons.cameraOff,
        t('controls.camera'),
        media.videoEnabled,
        () => this.handleCameraClick(),
      )}
      ${
        media.canScreenShare && !this.noScreenShare
          ? control(
              'screen-button',
              icons.screen,
              t('controls.screen'),
              media.screenSharing,
              () =>
                void this.act((s) =>
                  media.screenSharing ? s.stopScreenShare() : s.startScreenShare(),
                ),
            )
          : nothing
      }
      ${
        this.noChat
          ? nothing
          : control(
              'chat-button',
              icons.chat,
              t('controls.chat'),
              this.chatOpen,
              () => this.handleChatToggle(),
              unread > 0
                ? html`<span part="unread-badge" class="badge" aria-hidden="true">${unread}</span
                    ><span class="visually-hidden"
                      >${t('controls.unread', { count: unread })}</span
                    >`
                : nothing,
            )
      }
      ${
        state.role === 'provider' && !this.noRecording
          ? control('record-button', icons.record, t('controls.record'), recordingActive, () =>
              this.handleRecordClick(),
            )
          : nothing
      }
      ${control('settings-button', icons.settings, t('controls.settings'), undefined, (e) => {
        this.dialogOpener = e.currentTarget as HTMLElement;
        this.settingsOpen = true;
      })}
      <slot name="controls"></slot>
      ${control('leave-button', icons.leave, t('controls.leave'), undefined, (e) =>
        this.handleLeaveClick(e),
      )}
    </div>`;
  }

  private renderDialogs(state: SessionState): TemplateResult {
    const t = this.t.bind(this);
    return html`
      <dialog
        part="dialog leave-dialog"
        class="dialog leave"
        aria-labelledby="leave-title"
        aria-describedby="leave-body"
        @close=${() => this.handleDialogClose('leave')}
      >
        <h2 part="dialog-title" id="leave-title">${t('leave.title')}</h2>
        <p id="leave-body">${t('leave.body')}</p>
        <div class="dialog-actions">
          <button type="button" autofocus @click=${() => (this.leaveDialogOpen = false)}>
            ${t('leave.cancel')}
          </button>
          <button
            type="button"
            class="danger"
            @click=${() => {
              this.leaveDialogOpen = false;
              void this.leave();
            }}
          >
            ${t('leave.confirm')}
          </button>
        </div>
      </dialog>
      <dialog
        part="dialog consent-dialog"
        class="dialog consent"
        aria-labelledby="consent-title"
        aria-describedby="consent-body"
        @cancel=${this.handleConsentCancel}
        @close=${() => this.handleDialogClose('consent')}
      >
        <h2 part="dialog-title" id="consent-title">${t('consent.title')}</h2>
        <p id="consent-body">${t('consent.body')}</p>
        <div class="dialog-actions">
          <button
            type="button"
            autofocus
            @click=${() => void this.act((s) => s.setRecordingConsent(false))}
          >
            ${t('consent.decline')}
          </button>
          <button
            type="button"
            class="primary"
            @click=${() => void this.act((s) => s.setRecordingConsent(true))}
          >
            ${t('consent.accept')}
          </button>
        </div>
      </dialog>
      <dialog
        part="dialog settings-dialog"
        class="dialog settings"
        aria-labelledby="settings-title"
        @close=${() => this.handleDialogClose('settings')}
      >
        <h2 part="dialog-title" id="settings-title">${t('settings.title')}</h2>
        ${this.renderPickers(state)}
        <div class="dialog-actions">
          <button type="button" autofocus @click=${() => (this.settingsOpen = false)}>
            ${t('settings.close')}
          </button>
        </div>
      </dialog>
    `;
  }
}
