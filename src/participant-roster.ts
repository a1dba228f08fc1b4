/**
 * The session's participant list (`state.participants`): remote participants and their streams
 * from the media backend's connection, stream and speaking events; the local participant, kept in
 * step with the local media; and `callStartedAt`, set once someone else is in the call. Owns the
 * backend streams seen so far (to tell camera from screen). Emits `participantJoined` and
 * `participantLeft`.
 * @packageDocumentation
 */
import type { BackendEventMap, BackendStream, MediaBackend } from './backend.js';
import type { LocalMedia } from './local-media.js';
import { patchParticipant, remoteParticipant, withFields } from './participants.js';
import type { StateStore } from './store.js';
import type { Participant, SessionEventMap, SessionState, Unsubscribe } from './types.js';

/** What the roster needs from its session. @internal */
export interface RosterContext {
  store: StateStore<SessionState>;
  emit<K extends keyof SessionEventMap>(event: K, detail: SessionEventMap[K]): void;
  media: LocalMedia;
  now(): number;
  localConnectionId(): string;
  /** A remote participant left (their quality history can go). */
  left(connectionId: string): void;
}

/** The local user as others see them. @internal */
export interface LocalIdentity {
  connectionId: string;
  userId?: string;
  displayName: string;
  role: Participant['role'];
}

/** @internal */
export class ParticipantRoster {
  private readonly ctx: RosterContext;
  private readonly streams = new Map<string, BackendStream>();

  constructor(ctx: RosterContext) {
    this.ctx = ctx;
  }

  /** Follows the participant events of `backend`; returns the functions that stop it. */
  attach(backend: MediaBackend): Unsubscribe[] {
    const { store, emit } = this.ctx;
    const cleanups: Unsubscribe[] = [];
    const on = <K extends keyof BackendEventMap>(
      event: K,
      handler: (detail: BackendEventMap[K]) => void,
    ): void => {
      cleanups.push(backend.on(event, handler));
    };
    on('connectionCreated', (connection) => {
      if (connection.connectionId === this.ctx.localConnectionId()) return;
      if (store.state.participants.some((p) => p.id === connection.connectionId)) return;
      const participant = remoteParticipant(connection, this.ctx.now());
      store.update((s) => ({ ...s, participants: [...s.participants, participant] }));
      emit('participantJoined', { participant });
      this.updateCallStarted();
    });
    on('connectionDestroyed', ({ connectionId, reason }) => {
      const participant = store.state.participants.find((p) => p.id === connectionId && !p.isLocal);
      if (!participant) return;
      for (const [id, stream] of this.streams)
        if (stream.connectionId === connectionId) this.streams.delete(id);
      this.ctx.left(connectionId);
      store.update((s) => ({
        ...s,
        participants: s.participants.filter((p) => p.id !== connectionId),
      }));
      emit('participantLeft', { participant, reason });
    });
    on('streamCreated', (stream) => {
      this.streams.set(stream.streamId, stream);
      this.patch(stream.connectionId, (p) =>
        stream.kind === 'screen'
          ? withFields(p, { screenSharing: true })
          : withFields(p, {
              audioEnabled: stream.hasAudio && stream.audioActive,
              videoEnabled: stream.hasVideo && stream.videoActive,
            }),
      );
    });
    on('streamSubscribed', ({ streamId, connectionId, mediaStream }) => {
      const kind = this.streams.get(streamId)?.kind ?? 'camera';
      this.patch(connectionId, (p) =>
        withFields(p, kind === 'screen' ? { screenStream: mediaStream } : { stream: mediaStream }),
      );
    });
    on('streamDestroyed', ({ streamId, connectionId }) => {
      const kind = this.streams.get(streamId)?.kind ?? 'camera';
      this.streams.delete(streamId);
      this.patch(connectionId, (p) =>
        kind === 'screen'
          ? withFields(p, { screenSharing: false, screenStream: undefined })
          : withFields(p, { stream: undefined, audioEnabled: false, videoEnabled: false }),
      );
    });
    on('streamPropertyChanged', ({ connectionId, streamId, property, value }) => {
      if (this.streams.get(streamId)?.kind === 'screen') return;
      this.patch(connectionId, (p) =>
        withFields(
          p,
          property === 'audioActive' ? { audioEnabled: value } : { videoEnabled: value },
        ),
      );
    });
    on('speakingChanged', ({ connectionId, speaking }) => {
      this.patch(connectionId, (p) => withFields(p, { speaking }));
    });
    return cleanups;
  }

  /** Puts the local participant (connected as `identity.connectionId`) first in the list. */
  addLocal(identity: LocalIdentity): void {
    const media = this.ctx.media;
    const state = media.state;
    const stream = state.previewStream;
    const screenStream = media.screenStream;
    const id = identity.connectionId;
    const local: Participant = {
      id,
      ...(identity.userId !== undefined ? { userId: identity.userId } : {}),
      displayName: identity.displayName,
      role: identity.role,
      isLocal: true,
      audioEnabled: state.audioEnabled,
      videoEnabled: state.videoEnabled,
      screenSharing: state.screenSharing,
      speaking: false,
      ...(stream ? { stream } : {}),
      ...(screenStream ? { screenStream } : {}),
      quality: { level: 'unknown' },
      joinedAt: this.ctx.now(),
    };
    this.ctx.store.update((s) => ({
      ...s,
      participants: [local, ...s.participants.filter((p) => p.id !== id)],
      localParticipantId: id,
    }));
  }

  /** Copies the local media state into `localMedia` and the local participant. */
  syncLocalMedia(): void {
    const { store, media } = this.ctx;
    const state = media.state;
    store.update((s) => {
      let participants = s.participants;
      if (s.localParticipantId !== undefined) {
        participants = patchParticipant(participants, s.localParticipantId, (p) =>
          withFields(p, {
            audioEnabled: state.audioEnabled,
            videoEnabled: state.videoEnabled,
            screenSharing: state.screenSharing,
            stream: state.previewStream,
            screenStream: media.screenStream,
          }),
        );
      }
      if (state === s.localMedia && participants === s.participants) return s;
      return { ...s, localMedia: state, participants };
    });
  }

  /** Sets `callStartedAt` the first time the local user and someone else are both in. */
  updateCallStarted(): void {
    const { store } = this.ctx;
    const s = store.state;
    if (s.callStartedAt !== undefined || s.localParticipantId === undefined) return;
    if (s.participants.some((p) => !p.isLocal)) {
      store.update((st) => ({ ...st, callStartedAt: this.ctx.now() }));
    }
  }

  private patch(connectionId: string, update: (p: Participant) => Participant): void {
    this.ctx.store.update((s) => {
      const participants = patchParticipant(s.participants, connectionId, update);
      return participants === s.participants ? s : { ...s, participants };
    });
  }
}
