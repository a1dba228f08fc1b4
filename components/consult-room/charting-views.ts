/**
 * The room's charting-mode and mute-request views: what the control bar's Pop out button, the
 * charting window and the "provider asked you to mute" banner show and do. Pure functions over
 * the room (`ChartingRoom`), so `<consult-room>` only wires them.
 * @packageDocumentation
 */
import type { SessionState } from '../../src/index.js';
import { ConsultRequestLeaveEvent } from '../events/consult-request-leave.js';
import type { ChartingController } from './charting.js';
import type { ChartingView } from './charting-window.js';
import type { RoomCallContext } from './room-view.js';
import type { CallView } from './views/call.js';
import { renderChartingPlaceholder } from './views/charting.js';
import type { MuteRequestView } from './views/mute-request.js';
import type { Translate } from './views/shared.js';

/** What the views need from the room. @internal */
export interface ChartingRoom {
  readonly charting: ChartingController;
  readonly noCharting: boolean;
  readonly noChat: boolean;
  readonly t: Translate;
  readonly lang: string;
  readonly dir: string;
  readonly elapsedSeconds: number | undefined;
  /** A provider's mute request is waiting for an answer. */
  readonly muteRequested: boolean;
  clearMuteRequest(): void;
  setMicrophoneEnabled(enabled: boolean): void;
  /** Closes the charting window, opens the chat panel and focuses it. */
  openChat(): void;
  leave(): void;
  dispatchEvent(event: Event): boolean;
  requestUpdate(): void;
}

/** The mute-request banner (in the page and in the charting window). @internal */
export function muteRequestViewOf(room: ChartingRoom, state: SessionState): MuteRequestView {
  return {
    t: room.t,
    pending: room.muteRequested && state.localMedia.audioEnabled,
    onMute: () => {
      room.clearMuteRequest();
      room.setMicrophoneEnabled(false);
    },
    onDismiss: () => room.clearMuteRequest(),
  };
}

/** The control bar's Pop out button and the stage's placeholder; undefined hides the control. @internal */
export function chartingControlOf(
  room: ChartingRoom,
  state: SessionState,
): RoomCallContext['charting'] {
  const { charting } = room;
  const available = charting.available;
  if (room.noCharting || !available) return undefined;
  // Video Picture-in-Picture needs the other person's video.
  if (available === 'video' && !state.participants.some((p) => !p.isLocal && p.stream))
    return undefined;
  const open = charting.mode !== undefined;
  const onBack = (): void => charting.close();
  return {
    open,
    onToggle: () => (open ? onBack() : void charting.open()),
    ...(charting.mode === 'document'
      ? { placeholder: renderChartingPlaceholder(room.t, onBack) }
      : {}),
  };
}

/** The compact call in the charting window; `view` is the page's call view. @internal */
export function chartingWindowViewOf(
  room: ChartingRoom,
  state: SessionState,
  view: CallView,
): ChartingView {
  const { charting } = room;
  const media = state.localMedia;
  const local = state.participants.find((p) => p.isLocal);
  return {
    t: room.t,
    lang: room.lang,
    dir: room.dir,
    elapsedSeconds: room.elapsedSeconds,
    recording: state.recording.status === 'recording',
    media,
    remote: state.participants.find((p) => !p.isLocal),
    localStream: local?.stream ?? media.previewStream,
    unread: state.chat.unread,
    showChat: !room.noChat,
    leaveConfirm: charting.leaveConfirm,
    muteRequest: view.muteRequest,
    onMicrophone: view.controls.onMicrophone,
    onCamera: view.controls.onCamera,
    onChat: () => room.openChat(),
    onBack: () => charting.close(),
    onLeave: () => {
      const request = new ConsultRequestLeaveEvent({ source: 'user' });
      room.dispatchEvent(request);
      if (request.defaultPrevented) return;
      charting.leaveConfirm = true;
      room.requestUpdate();
    },
    onLeaveCancel: () => {
      charting.leaveConfirm = false;
      room.requestUpdate();
    },
    onLeaveConfirm: () => room.leave(),
  };
}
