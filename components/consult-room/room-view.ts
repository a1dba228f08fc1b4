/**
 * What `<consult-room>` shows, computed from the session state and the room's view state: which
 * screen, its custom states, the slice of state it re-renders for, and the call screen's inputs
 * and handlers.
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost, TemplateResult } from 'lit';
import type { MediaPlaybackController } from '../controllers/media-playback-controller.js';
import type { ModalDialogController } from '../controllers/modal-dialog-controller.js';
import { ConsultRequestLeaveEvent } from '../events/consult-request-leave.js';
import type { ConsultStrings } from '../i18n/en.js';
import type { ConsultError, ConsultSessionLike, SessionState } from '../../src/index.js';
import { tilesOf, type CallView } from './views/call.js';
import type { EndedView } from './views/ended.js';
import type { MuteRequestView } from './views/mute-request.js';
import type { Translate } from './views/shared.js';

/** How the call is laid out. @public */
export type ConsultRoomLayout = 'auto' | 'pip' | 'grid';

/** The room's screens. */
export type RoomScreen =
  'prejoin' | 'connecting' | 'waiting' | 'denied' | 'call' | 'ended' | 'failed';

const RECORDING_ACTIVE = new Set(['starting', 'recording', 'awaiting-consent']);

/** Which screen to show. */
export function screenOf(
  state: SessionState | undefined,
  join: { joining: boolean; error: ConsultError | undefined },
  hasJoined: boolean,
): RoomScreen {
  if (!state) return join.error ? 'failed' : 'prejoin';
  switch (state.connection) {
    case 'idle':
      return join.joining ? 'connecting' : 'prejoin';
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
      return state.connection === 'failed' && !hasJoined ? 'failed' : 'ended';
  }
}

/** The room's custom states (`:state(...)`) for a screen. */
export function customStatesOf(
  screen: RoomScreen,
  state: SessionState | undefined,
  error: ConsultError | undefined,
): Record<string, boolean> {
  return {
    prejoin: screen === 'prejoin',
    connecting: screen === 'connecting',
    waiting: screen === 'waiting',
    connected: state?.connection === 'connected',
    reconnecting: state?.connection === 'reconnecting',
    ended: screen === 'ended' || screen === 'denied' || screen === 'failed',
    error: error !== undefined || screen === 'failed',
    recording: state?.recording.status === 'recording',
  };
}

/**
 * What the room renders from a snapshot. Chat messages and quality samples are not in it (the chat
 * panel and the tiles read those themselves), nor is an unread count while the chat panel, which
 * clears it, is open.
 */
export function roomSlice(s: SessionState, chatVisible: boolean): unknown[] {
  const tileKeys = tilesOf(s)
    .map((tile) => tile.key)
    .join('\n');
  return [
    ...[s.connection, s.connectionReason, s.error, s.role, s.localMedia, s.devices, s.recording],
    ...[s.lobby, s.waitingPosition, s.callStartedAt, s.endedAt, tileKeys],
    chatVisible ? 0 : s.chat.unread,
  ];
}

/** The room's view state of the call (panels and dialogs); setting a field re-renders the room. */
export class RoomUi implements ReactiveController {
  private readonly host: ReactiveControllerHost;
  chatOpen = false;
  leaveDialogOpen = false;
  settingsOpen = false;
  poorDismissed = false;
  /** Escape put the consent prompt off: the request stays pending until answered. */
  consentDeferred = false;
  /** The participant (connection id) whose tile menu is open. */
  tileMenu: string | undefined = undefined;
  /** The participant a provider is about to remove (confirm dialog open). */
  removing: { userId: string; name: string } | undefined = undefined;

  constructor(host: ReactiveControllerHost) {
    this.host = host;
    host.addController(this);
  }

  set(patch: Partial<Omit<RoomUi, 'set' | 'hostConnected'>>): void {
    Object.assign(this, patch);
    this.host.requestUpdate();
  }

  hostConnected(): void {}
}

/** Opens the dialogs the room's view state asks for, in the call (`state` given) only. */
export function syncDialogs(
  dialogs: ModalDialogController,
  ui: RoomUi,
  state: SessionState | undefined,
): void {
  dialogs.sync('leave', ui.leaveDialogOpen && !!state);
  dialogs.sync('consent', state?.recording.consentPending === true && !ui.consentDeferred);
  dialogs.sync('settings', ui.settingsOpen && !!state);
  dialogs.sync('remove', ui.removing !== undefined && !!state);
}

/** The room's public side the call screen reads. */
export interface RoomCallHost {
  readonly activeSession: ConsultSessionLike | undefined;
  readonly strings: Partial<ConsultStrings> | undefined;
  readonly layout: ConsultRoomLayout;
  readonly noChat: boolean;
  readonly noScreenShare: boolean;
  readonly noRecording: boolean;
  leave(): Promise<void>;
  dispatchEvent(event: Event): boolean;
}

/** The room's internals the call screen needs. */
export interface RoomCallContext {
  state: SessionState;
  lang: string;
  ui: RoomUi;
  ended: EndedView;
  elapsedSeconds: number | undefined;
  playback: MediaPlaybackController;
  dialogs: ModalDialogController;
  act: (action: (session: ConsultSessionLike) => Promise<unknown>) => void;
  /** Focuses the first match in the room once it has re-rendered. */
  focusLater: (selector: string) => void;
  /** Charting mode: the control (undefined: hidden) and the page's placeholder while popped out. */
  charting: { open: boolean; onToggle: () => void; placeholder?: TemplateResult } | undefined;
  muteRequest: MuteRequestView;
  /** A provider asked a participant to mute (a live-region announcement). */
  onMuteRequestSent: (name: string) => void;
}

function layoutOf(tiles: number, layout: RoomCallHost['layout']): CallView['layout'] {
  if (tiles <= 1) return 'solo';
  if (layout !== 'auto') return layout;
  return tiles === 2 ? 'pip' : 'grid';
}

function controlsOf(room: RoomCallHost, c: RoomCallContext, t: Translate): CallView['controls'] {
  const { state, ui, act } = c;
  const media = state.localMedia;
  const toggleChat = (open: boolean): void => {
    ui.set({ chatOpen: open });
    c.focusLater(open ? 'consult-chat' : '[part~="chat-button"]');
  };
  return {
    t,
    media,
    unread: state.chat.unread,
    showScreenShare: media.canScreenShare && !room.noScreenShare,
    showChat: !room.noChat,
    chatOpen: ui.chatOpen,
    showRecord: state.role === 'provider' && !room.noRecording,
    recordingActive: RECORDING_ACTIVE.has(state.recording.status),
    onMicrophone: () => act((s) => s.setMicrophoneEnabled(!media.audioEnabled)),
    onCamera: () =>
      act(async (s) => {
        if (media.audioOnly && !media.videoEnabled) await s.setAudioOnly(false);
        await s.setCameraEnabled(!media.videoEnabled);
      }),
    onScreenShare: () =>
      act((s) => (media.screenSharing ? s.stopScreenShare() : s.startScreenShare())),
    onChat: () => toggleChat(!ui.chatOpen),
    onRecord: () =>
      act((s) =>
        RECORDING_ACTIVE.has(state.recording.status) ? s.stopRecording() : s.startRecording(),
      ),
    onSettings: (e) => {
      c.dialogs.remember(e.currentTarget as HTMLElement);
      ui.set({ settingsOpen: true });
    },
    charting: c.charting,
    onLeave: (e) => {
      const request = new ConsultRequestLeaveEvent({ source: 'user' });
      room.dispatchEvent(request);
      if (request.defaultPrevented) return;
      c.dialogs.remember(e.currentTarget as HTMLElement);
      ui.set({ leaveDialogOpen: true });
    },
  };
}

function dialogsOf(room: RoomCallHost, c: RoomCallContext, t: Translate): CallView['dialogs'] {
  const { ui, act } = c;
  return {
    t,
    onLeaveCancel: () => ui.set({ leaveDialogOpen: false }),
    onLeaveConfirm: () => {
      ui.set({ leaveDialogOpen: false });
      void room.leave();
    },
    onConsent: (consent) => act((s) => s.setRecordingConsent(consent)),
    // Escape (or the platform's back gesture) means "not now", not "no": the dialog closes, the
    // request stays pending (nothing is recorded without a yes) and the consent button in the top
    // bar opens it again.
    onConsentCancel: () => ui.set({ consentDeferred: true }),
    onSettingsClose: () => ui.set({ settingsOpen: false }),
    onDeviceChange: (kind, id) =>
      act((s) => (kind === 'audiooutput' ? s.selectAudioOutput(id) : s.selectDevice(kind, id))),
    removing: ui.removing?.name,
    onRemoveCancel: () => ui.set({ removing: undefined }),
    onRemoveConfirm: () => {
      const who = ui.removing;
      ui.set({ removing: undefined });
      if (who) act((s) => s.removeParticipant(who.userId));
    },
    onClosed: (name) => {
      if (name === 'leave') ui.set({ leaveDialogOpen: false });
      if (name === 'remove') ui.set({ removing: undefined });
      if (name === 'settings') ui.set({ settingsOpen: false });
      // Focus goes back to the control that opened the dialog (when it is still there).
      c.dialogs.restoreFocus();
    },
  };
}

/** The call screen's inputs and handlers. */
export function callViewOf(room: RoomCallHost, c: RoomCallContext): CallView {
  const { ui, ended } = c;
  const t = ended.t;
  return {
    ...ended,
    session: room.activeSession,
    strings: room.strings,
    lang: c.lang,
    layout: layoutOf(tilesOf(c.state).length, room.layout),
    elapsedSeconds: c.elapsedSeconds,
    chatOpen: ui.chatOpen,
    noChat: room.noChat,
    consentDeferred: ui.consentDeferred,
    poorDismissed: ui.poorDismissed,
    autoplayBlocked: c.playback.blocked,
    playback: c.playback,
    onAnswerConsent: () => ui.set({ consentDeferred: false }),
    onAudioOnly: () => c.act((s) => s.setAudioOnly(true)),
    onDismissPoor: () => ui.set({ poorDismissed: true }),
    onEnableSound: () => void c.playback.resume(),
    onAdmit: (userId) => c.act((s) => s.admit(userId)),
    onDeny: (userId) => c.act((s) => s.deny(userId)),
    canRemove: c.state.role === 'provider',
    tileMenu: ui.tileMenu,
    onTileMenu: (id) => {
      const closing = id === undefined ? ui.tileMenu : undefined;
      ui.set({ tileMenu: id });
      if (id) c.focusLater(`#tile-menu-${CSS.escape(id)} [role="menuitem"]`);
      else if (closing)
        c.focusLater(`consult-tile[data-id="${CSS.escape(closing)}"] [part~="tile-menu-button"]`);
    },
    onRemoveAsk: (id, opener) => {
      const p = c.state.participants.find((x) => x.id === id);
      c.dialogs.remember(opener);
      ui.set({
        tileMenu: undefined,
        ...(p?.userId ? { removing: { userId: p.userId, name: p.displayName } } : {}),
      });
    },
    onAskMute: (id) => {
      const p = c.state.participants.find((x) => x.id === id);
      ui.set({ tileMenu: undefined });
      c.focusLater(`consult-tile[data-id="${CSS.escape(id)}"] [part~="tile-menu-button"]`);
      c.act(async (s) => {
        await s.requestMute(id);
        c.onMuteRequestSent(p?.displayName ?? '');
      });
    },
    muteRequest: c.muteRequest,
    charting: c.charting?.placeholder,
    onChatClose: () => {
      ui.set({ chatOpen: false });
      c.focusLater('[part~="chat-button"]');
    },
    controls: controlsOf(room, c, t),
    dialogs: dialogsOf(room, c, t),
  };
}
