import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { BackendEventMap, MediaBackend } from '../backend.js';
import { ConsultError } from '../errors.js';
import { FakeMediaStream, FakeMediaStreamTrack } from '../testing/fake-media.js';
import {
  createLiveKitBackend,
  disconnectReason,
  qualityLevel,
  translateLiveKitError,
  type LiveKitModule,
  type LkLocalPublication,
  type LkPublication,
  type LkRoomOptions,
  type LkSource,
} from './livekit.js';

// ── A fake livekit-client Room: records calls, lets the test fire RoomEvents ──────────────────────

class FakePublication implements LkPublication {
  isMuted = false;
  subscribed = true;
  track: { mediaStreamTrack: MediaStreamTrack } | undefined;
  constructor(
    readonly trackSid: string,
    readonly kind: 'audio' | 'video',
    readonly source: LkSource,
  ) {}
  setSubscribed(value: boolean): void {
    this.subscribed = value;
  }
  subscribe(): MediaStreamTrack {
    const t = new FakeMediaStreamTrack(this.kind).asTrack();
    this.track = { mediaStreamTrack: t };
    return t;
  }
}

class FakeParticipant {
  readonly trackPublications = new Map<string, FakePublication>();
  connectionQuality = 'unknown';
  constructor(
    readonly identity: string,
    readonly metadata = '',
    readonly joinedAt = new Date(1000),
  ) {}
  add(pub: FakePublication): FakePublication {
    this.trackPublications.set(pub.trackSid, pub);
    return pub;
  }
}

class FakeLocalTrack {
  muted = false;
  replaced: { track: MediaStreamTrack; userProvided: boolean | undefined }[] = [];
  constructor(public mediaStreamTrack: MediaStreamTrack) {}
  async mute(): Promise<void> {
    this.muted = true;
  }
  async unmute(): Promise<void> {
    this.muted = false;
  }
  async replaceTrack(track: MediaStreamTrack, userProvided?: boolean): Promise<void> {
    this.replaced.push({ track, userProvided });
    this.mediaStreamTrack = track;
  }
}

class FakeLocalParticipant extends FakeParticipant {
  published: { source: LkSource; track: FakeLocalTrack }[] = [];
  unpublished: { track: MediaStreamTrack; stop: boolean | undefined }[] = [];
  data: { text: string; topic: string; reliable: boolean; to?: string[] }[] = [];
  failData = false;
  async publishTrack(track: MediaStreamTrack, options: { source: LkSource }) {
    const local = new FakeLocalTrack(track);
    this.published.push({ source: options.source, track: local });
    const pub = {
      trackSid: `TR_${this.published.length}`,
      kind: track.kind,
      source: options.source,
      isMuted: false,
      track: local,
    };
    return pub as unknown as LkLocalPublication;
  }
  async unpublishTrack(track: FakeLocalTrack, stop?: boolean): Promise<void> {
    this.unpublished.push({ track: track.mediaStreamTrack, stop });
  }
  async publishData(
    data: Uint8Array,
    options: { reliable: boolean; topic: string; destinationIdentities?: string[] },
  ): Promise<void> {
    if (this.failData) throw new Error('data channel closed');
    this.data.push({
      text: new TextDecoder().decode(data),
      topic: options.topic,
      reliable: options.reliable,
      ...(options.destinationIdentities ? { to: options.destinationIdentities } : {}),
    });
  }
}

class FakeRoom {
  static last: FakeRoom | undefined;
  readonly listeners = new Map<string, Set<(...args: never[]) => void>>();
  readonly localParticipant = new FakeLocalParticipant('con_me', '{}');
  readonly remoteParticipants = new Map<string, FakeParticipant>();
  connected: { url: string; token: string } | undefined;
  disconnects: (boolean | undefined)[] = [];
  /** Set before connecting: participants already in the room, or the error connect rejects with. */
  static next: {
    present?: FakeParticipant[];
    connectError?: unknown;
    /** Runs inside connect() before it resolves (a subscription completing while connecting). */
    whileConnecting?: (room: FakeRoom) => void;
    /** Fire `trackSubscribed` for the present participants' tracks before connect resolves. */
    subscribeWhileConnecting?: boolean;
  } = {};
  readonly connectError: unknown;
  readonly present: FakeParticipant[];
  readonly subscribeWhileConnecting: boolean;
  constructor(readonly options: LkRoomOptions) {
    FakeRoom.last = this;
    this.present = FakeRoom.next.present ?? [];
    this.connectError = FakeRoom.next.connectError;
    this.subscribeWhileConnecting = FakeRoom.next.subscribeWhileConnecting ?? false;
  }
  async connect(url: string, token: string): Promise<void> {
    if (this.connectError) throw this.connectError;
    this.connected = { url, token };
    for (const p of this.present) this.remoteParticipants.set(p.identity, p);
    FakeRoom.next.whileConnecting?.(this);
    if (this.subscribeWhileConnecting)
      for (const p of this.present)
        for (const pub of p.trackPublications.values())
          this.fire('trackSubscribed', pub.track, pub, p);
  }
  async disconnect(stopTracks?: boolean): Promise<void> {
    this.disconnects.push(stopTracks);
  }
  on(event: string, listener: (...args: never[]) => void): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
  }
  off(event: string, listener: (...args: never[]) => void): void {
    this.listeners.get(event)?.delete(listener);
  }
  fire(event: string, ...args: unknown[]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args);
  }
  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

const fakeModule = (): Promise<LiveKitModule> =>
  Promise.resolve({ Room: FakeRoom } as unknown as LiveKitModule);

type Recorded = { [K in keyof BackendEventMap]?: BackendEventMap[K][] };

function record(backend: MediaBackend): { events: Recorded; order: string[] } {
  const events: Recorded = {};
  const order: string[] = [];
  const names: (keyof BackendEventMap)[] = [
    'connectionCreated',
    'connectionDestroyed',
    'streamCreated',
    'streamDestroyed',
    'streamSubscribed',
    'streamPropertyChanged',
    'speakingChanged',
    'signal',
    'reconnecting',
    'reconnected',
    'disconnected',
    'exception',
  ];
  for (const name of names)
    backend.on(name, (detail) => {
      order.push(name);
      ((events[name] ??= []) as unknown[]).push(detail);
    });
  return { events, order };
}

const serverData = JSON.stringify({ userId: 'dr', displayName: 'Dr A', role: 'provider' });

async function connected(present: FakeParticipant[] = [], subscribeWhileConnecting = false) {
  const backend = createLiveKitBackend({ url: 'wss://lk.example', livekit: fakeModule });
  const rec = record(backend);
  FakeRoom.next = { present, subscribeWhileConnecting };
  const { connectionId } = await backend.connect('jwt', '{}');
  const room = FakeRoom.last as unknown as FakeRoom;
  return { backend, room, connectionId, ...rec };
}

const originalMediaStream = (globalThis as { MediaStream?: unknown }).MediaStream;
beforeEach(() => {
  (globalThis as { MediaStream?: unknown }).MediaStream = FakeMediaStream;
  FakeRoom.last = undefined;
  FakeRoom.next = {};
});
afterEach(() => {
  (globalThis as { MediaStream?: unknown }).MediaStream = originalMediaStream;
});

describe('LiveKit backend mappings', () => {
  it('should map LiveKit connection quality onto the SDK levels', () => {
    assert.equal(qualityLevel('excellent'), 'good');
    assert.equal(qualityLevel('good'), 'good');
    assert.equal(qualityLevel('poor'), 'poor');
    assert.equal(qualityLevel('lost'), 'poor');
    assert.equal(qualityLevel('unknown'), undefined);
    assert.equal(qualityLevel(undefined), undefined);
  });

  it('should map DisconnectReason onto the reasons the session understands', () => {
    assert.equal(disconnectReason(1), 'disconnect'); // CLIENT_INITIATED
    assert.equal(disconnectReason(4), 'forceDisconnectByServer'); // PARTICIPANT_REMOVED
    assert.equal(disconnectReason(2), 'forceDisconnectByServer'); // DUPLICATE_IDENTITY
    assert.equal(disconnectReason(5), 'sessionClosedByServer'); // ROOM_DELETED
    assert.equal(disconnectReason(10), 'sessionClosedByServer'); // ROOM_CLOSED
    for (const r of [0, 3, 6, 7, 9, undefined])
      assert.equal(disconnectReason(r), 'networkDisconnect', `reason ${String(r)}`);
  });

  it('should map connect errors onto ConsultError codes', () => {
    const notAllowed = translateLiveKitError(
      Object.assign(new Error('invalid token'), { reason: 0, status: 401 }),
      'connection-failed',
    );
    assert.equal(notAllowed.code, 'forbidden');
    assert.deepEqual(notAllowed.details, { liveKitReason: 0, status: 401 });
    const unreachable = translateLiveKitError(
      Object.assign(new Error('could not establish signal connection'), { reason: 1 }),
      'connection-failed',
    );
    assert.equal(unreachable.code, 'connection-failed');
    assert.equal(translateLiveKitError({ reason: 3 }, 'connection-failed').code, 'aborted');
  });
});

describe('LiveKit backend with a fake Room', () => {
  it('should connect with the URL and token and keep the caller’s tracks alive', async () => {
    const { room, connectionId } = await connected();
    assert.equal(connectionId, 'con_me');
    assert.deepEqual(room.connected, { url: 'wss://lk.example', token: 'jwt' });
    assert.equal(room.options.stopLocalTrackOnUnpublish, false);
  });

  it('should report participants already present, connections before streams', async () => {
    const dr = new FakeParticipant('con_dr', serverData);
    dr.add(new FakePublication('TR_a', 'audio', 'microphone')).subscribe();
    dr.add(new FakePublication('TR_v', 'video', 'camera')).subscribe();
    const { order, events } = await connected([dr]);
    assert.deepEqual(order, ['connectionCreated', 'streamCreated', 'streamSubscribed']);
    assert.deepEqual(events.connectionCreated?.[0], {
      connectionId: 'con_dr',
      serverData,
      clientData: '',
      createdAt: 1000,
    });
    assert.deepEqual(events.streamCreated?.[0], {
      streamId: 'con_dr#camera',
      connectionId: 'con_dr',
      kind: 'camera',
      hasAudio: true,
      hasVideo: true,
      audioActive: true,
      videoActive: true,
    });
    assert.equal(events.streamSubscribed?.[0]?.mediaStream.getTracks().length, 2);
  });

  it('should announce a participant before streams that arrive while connecting', async () => {
    const dr = new FakeParticipant('con_dr', serverData);
    const audio = dr.add(new FakePublication('TR_a', 'audio', 'microphone'));
    const video = dr.add(new FakePublication('TR_v', 'video', 'camera'));
    const backend = createLiveKitBackend({ url: 'wss://lk.example', livekit: fakeModule });
    const { order, events } = record(backend);
    FakeRoom.next = {
      present: [dr],
      whileConnecting: (room) => {
        for (const pub of [audio, video]) room.fire('trackSubscribed', pub.subscribe(), pub, dr);
      },
    };
    await backend.connect('jwt', '{}');
    assert.deepEqual(order.slice(0, 2), ['connectionCreated', 'streamCreated']);
    assert.equal(events.connectionCreated?.length, 1, 'announced once');
    assert.equal(events.streamSubscribed?.at(-1)?.mediaStream.getTracks().length, 2);
  });

  it('should present streams subscribed while connecting only after their connection', async () => {
    // livekit-client may subscribe to the tracks of participants already in the room before
    // connect() resolves, and announces no participantConnected for them.
    const dr = new FakeParticipant('con_dr', serverData);
    dr.add(new FakePublication('TR_a', 'audio', 'microphone')).subscribe();
    dr.add(new FakePublication('TR_v', 'video', 'camera')).subscribe();
    const { order, events } = await connected([dr], true);
    assert.deepEqual(order, ['connectionCreated', 'streamCreated', 'streamSubscribed']);
    assert.equal(events.streamSubscribed?.[0]?.mediaStream.getTracks().length, 2);
  });

  it('should present streams replayed before participantConnected after a full reconnection', async () => {
    // livekit-client's restart drops every remote participant, then replays its buffered events
    // with trackSubscribed before participantConnected.
    const dr = new FakeParticipant('con_dr', serverData);
    dr.add(new FakePublication('TR_a', 'audio', 'microphone')).subscribe();
    dr.add(new FakePublication('TR_v', 'video', 'camera')).subscribe();
    const { room, order, events } = await connected([dr]);
    order.length = 0;
    room.fire('participantDisconnected', dr);
    for (const pub of dr.trackPublications.values())
      room.fire('trackSubscribed', pub.track, pub, dr);
    room.fire('participantConnected', dr);
    assert.deepEqual(order, [
      'streamDestroyed',
      'connectionDestroyed',
      'connectionCreated',
      'streamCreated',
      'streamSubscribed',
    ]);
    assert.equal(events.streamSubscribed?.at(-1)?.mediaStream.getTracks().length, 2);
  });

  it('should follow publications, mutes, screen shares and departures', async () => {
    const { room, events } = await connected();
    const pat = new FakeParticipant('con_pat', '{"userId":"p","displayName":"P","role":"patient"}');
    room.remoteParticipants.set(pat.identity, pat);
    room.fire('participantConnected', pat);
    const mic = pat.add(new FakePublication('TR_a', 'audio', 'microphone'));
    room.fire('trackPublished', mic, pat);
    mic.subscribe();
    room.fire('trackSubscribed', mic.track, mic, pat);
    mic.isMuted = true;
    room.fire('trackMuted', mic, pat);
    const screen = pat.add(new FakePublication('TR_s', 'video', 'screen_share'));
    room.fire('trackPublished', screen, pat);
    screen.subscribe();
    room.fire('trackSubscribed', screen.track, screen, pat);
    pat.trackPublications.delete('TR_s');
    room.fire('trackUnpublished', screen, pat);
    room.fire('participantDisconnected', pat);

    assert.deepEqual(
      events.streamCreated?.map((s) => `${s.streamId}:${s.kind}`),
      ['con_pat#camera:camera', 'con_pat#screen:screen'],
    );
    assert.deepEqual(events.streamPropertyChanged, [
      {
        streamId: 'con_pat#camera',
        connectionId: 'con_pat',
        property: 'audioActive',
        value: false,
      },
    ]);
    assert.deepEqual(
      events.streamSubscribed?.map((s) => s.streamId),
      ['con_pat#camera', 'con_pat#screen'],
    );
    assert.deepEqual(
      events.streamDestroyed?.map((s) => `${s.streamId}:${s.reason}`),
      ['con_pat#screen:unpublish', 'con_pat#camera:disconnect'],
    );
    assert.deepEqual(events.connectionDestroyed, [
      { connectionId: 'con_pat', reason: 'disconnect' },
    ]);
  });

  it('should send signals as reliable data packets with the type as topic', async () => {
    const { backend, room } = await connected([new FakeParticipant('con_dr', serverData)]);
    await backend.sendSignal('chat', '{"v":1,"id":"m1","text":"hé","sentAt":"x"}');
    await backend.sendSignal('chat', 'to one', ['con_dr', 'con_me']);
    await backend.sendSignal('chat', 'only me', ['con_me']);
    assert.deepEqual(room.localParticipant.data, [
      { text: '{"v":1,"id":"m1","text":"hé","sentAt":"x"}', topic: 'chat', reliable: true },
      { text: 'to one', topic: 'chat', reliable: true, to: ['con_dr'] },
    ]);
    await assert.rejects(backend.sendSignal('chat', 'x', ['con_nobody']), (e: unknown) => {
      return e instanceof ConsultError && e.code === 'message-failed';
    });
    room.localParticipant.failData = true;
    await assert.rejects(backend.sendSignal('chat', 'x'), (e: unknown) => {
      return e instanceof ConsultError && e.code === 'message-failed' && e.recoverable;
    });
  });

  it('should turn received data packets into signals (topic → type, sender → from)', async () => {
    const dr = new FakeParticipant('con_dr', serverData);
    const { room, events } = await connected([dr]);
    const bytes = new TextEncoder().encode('{"v":1,"id":"m2","text":"hi","sentAt":"x"}');
    room.fire('dataReceived', bytes, dr, 0, 'chat');
    room.fire('dataReceived', bytes, undefined, 0, 'chat');
    room.fire('dataReceived', bytes, dr, 0, undefined); // no topic: not ours
    room.fire('dataReceived', new Uint8Array([0xff, 0xfe]), dr, 0, 'chat'); // not UTF-8
    assert.deepEqual(events.signal, [
      { type: 'chat', data: '{"v":1,"id":"m2","text":"hi","sentAt":"x"}', from: 'con_dr' },
      { type: 'chat', data: '{"v":1,"id":"m2","text":"hi","sentAt":"x"}' },
    ]);
  });

  it('should map reconnection and disconnection events', async () => {
    const { room, events } = await connected();
    room.fire('reconnecting');
    room.fire('reconnected');
    // A signalling-only drop (livekit-client resumes it) is a reconnection too.
    room.fire('signalReconnecting');
    room.fire('reconnected');
    room.fire('disconnected', 4);
    room.fire('disconnected', 9);
    assert.equal(events.reconnecting?.length, 2);
    assert.equal(events.reconnected?.length, 2);
    assert.deepEqual(events.disconnected, [{ reason: 'forceDisconnectByServer' }]);
    assert.equal(room.listenerCount(), 0, 'listeners released');
  });

  it('should report speaking changes from active speakers', async () => {
    const dr = new FakeParticipant('con_dr', serverData);
    const { room, events } = await connected([dr]);
    room.fire('activeSpeakersChanged', [dr]);
    room.fire('activeSpeakersChanged', [dr, room.localParticipant]);
    room.fire('activeSpeakersChanged', []);
    assert.deepEqual(
      events.speakingChanged?.map((s) => `${s.connectionId}:${s.speaking}`),
      ['con_dr:true', 'con_me:true', 'con_dr:false', 'con_me:false'],
    );
  });

  it('should grade quality with LiveKit’s own level in the stats', async () => {
    const dr = new FakeParticipant('con_dr', serverData);
    const { backend, room } = await connected([dr]);
    assert.equal(await backend.getStats('con_dr'), undefined, 'nothing known yet');
    room.fire('connectionQualityChanged', 'poor', dr);
    assert.equal((await backend.getStats('con_dr'))?.level, 'poor');
    room.fire('connectionQualityChanged', 'excellent', dr);
    assert.equal((await backend.getStats('con_dr'))?.level, 'good');
  });

  it('should publish, mute, replace and unpublish without stopping the caller’s tracks', async () => {
    const { backend, room } = await connected();
    const audio = new FakeMediaStreamTrack('audio').asTrack();
    const video = new FakeMediaStreamTrack('video').asTrack();
    await backend.publish({
      audioTrack: audio,
      videoTrack: video,
      audioEnabled: true,
      videoEnabled: false,
    });
    const lp = room.localParticipant;
    assert.deepEqual(
      lp.published.map((p) => p.source),
      ['microphone', 'camera'],
    );
    assert.equal(lp.published[1]?.track.muted, true, 'camera starts muted');
    await backend.setVideoEnabled(true);
    assert.equal(lp.published[1]?.track.muted, false);
    await backend.setAudioEnabled(false);
    assert.equal(lp.published[0]?.track.muted, true);

    const other = new FakeMediaStreamTrack('video', 'cam2').asTrack();
    await backend.replaceTrack('video', other);
    assert.deepEqual(lp.published[1]?.track.replaced, [{ track: other, userProvided: true }]);

    const screen = new FakeMediaStreamTrack('video', 'screen').asTrack();
    await backend.publishScreen(screen);
    assert.equal(lp.published[2]?.source, 'screen_share');
    await backend.unpublishScreen();
    await backend.unpublish();
    assert.ok(
      lp.unpublished.every((u) => u.stop === false),
      'never asks LiveKit to stop tracks',
    );
    assert.equal(lp.unpublished.length, 3);
    assert.ok([audio, video, other, screen].every((t) => t.readyState === 'live'));
    await backend.disconnect();
    assert.deepEqual(room.disconnects, [false]);
  });

  it('should stop receiving video in audio-only mode, also for later publications', async () => {
    const dr = new FakeParticipant('con_dr', serverData);
    const cam = dr.add(new FakePublication('TR_v', 'video', 'camera'));
    const { backend, room } = await connected([dr]);
    await backend.setReceiveVideo(false);
    assert.equal(cam.subscribed, false);
    const screen = dr.add(new FakePublication('TR_s', 'video', 'screen_share'));
    room.fire('trackPublished', screen, dr);
    assert.equal(screen.subscribed, false);
    await backend.setReceiveVideo(true);
    assert.equal(cam.subscribed, true);
  });

  it('should fail connect with forbidden on a refused token and release the room', async () => {
    const backend = createLiveKitBackend({ url: 'wss://lk.example', livekit: fakeModule });
    FakeRoom.next = {
      connectError: Object.assign(new Error('unauthorized'), { reason: 0, status: 401 }),
    };
    await assert.rejects(
      backend.connect('bad', '{}'),
      (e: unknown) => e instanceof ConsultError && e.code === 'forbidden',
    );
    const room = FakeRoom.last as unknown as FakeRoom;
    assert.equal(room.listenerCount(), 0);
    assert.deepEqual(room.disconnects, [false]);
  });

  it('should fail connect when livekit-client cannot be loaded', async () => {
    const backend = createLiveKitBackend({
      url: 'wss://lk.example',
      livekit: () => Promise.reject(new Error('chunk failed')),
    });
    await assert.rejects(
      backend.connect('jwt', '{}'),
      (e: unknown) => e instanceof ConsultError && e.code === 'connection-failed',
    );
  });
});
