// The OpenVidu adapter in real Chromium and Firefox: the real openvidu-browser (through the esbuild pre-bundle
// alias), real WebRTC stats, and a scripted fake OpenVidu for the event mapping.
import { assert, waitUntil } from '@open-wc/testing';
import type { BackendEventMap, MediaBackend } from '../backend.js';
import { ConsultError } from '../errors.js';
import { classifyQuality, intervalMetrics } from '../quality.js';
import {
  SCREEN_SIGNAL,
  SCREEN_STREAM_SUFFIX,
  createOpenViduBackend,
  signallingUrl,
  splitConnectionData,
  summarizeStats,
  translateOpenViduError,
  type OpenViduLike,
  type OvConnection,
  type OvPublisher,
  type OvSession,
  type OvSessionEvents,
  type OvStream,
  type OvStreamEvent,
  type OvSubscriber,
} from './openvidu.js';

declare const describe: (name: string, body: () => void) => void;
declare const it: (name: string, body: () => Promise<void> | void) => void;
declare const afterEach: (body: () => void | Promise<void>) => void;

/** Firefox ESR runs this file too; its statistics lack some of Chromium's fields. */
const IS_FIREFOX = navigator.userAgent.includes('Firefox/');

/** A loopback port nothing listens on (the test server is on another port). */
const CLOSED_TOKEN = 'ws://127.0.0.1:39999?sessionId=ses_closed&token=tok_closed';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const streams: MediaStream[] = [];
async function camera(): Promise<MediaStream> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  streams.push(stream);
  return stream;
}

afterEach(() => {
  for (const stream of streams.splice(0)) for (const track of stream.getTracks()) track.stop();
});

describe('openvidu-browser in Chromium', () => {
  it('loads through the pre-bundle alias', async () => {
    const mod = await import('openvidu-browser');
    const ov = new mod.OpenVidu();
    ov.enableProdMode();
    assert.isTrue(ov.checkSystemRequirements());
    assert.equal(typeof ov.initSession().connect, 'function');
  });

  it('fails fast with connection-failed when the server port is closed', async () => {
    const backend = createOpenViduBackend();
    const started = performance.now();
    const error = await rejection(backend.connect(CLOSED_TOKEN, ''));
    assert.instanceOf(error, ConsultError);
    assert.equal((error as ConsultError).code, 'connection-failed');
    assert.isBelow(performance.now() - started, 5000);
  });

  it('fails fast without the probe too (openvidu-browser reports it as reconnecting)', async () => {
    const backend = createOpenViduBackend({ probeServer: false });
    const started = performance.now();
    const error = await rejection(backend.connect(CLOSED_TOKEN, ''));
    assert.equal((error as ConsultError).code, 'connection-failed');
    assert.isBelow(performance.now() - started, 5000);
    // The backend can be used again.
    assert.equal(
      ((await rejection(backend.connect(CLOSED_TOKEN, ''))) as ConsultError).code,
      'connection-failed',
    );
  });

  it('rejects a token that is not an OpenVidu URL', async () => {
    const error = await rejection(createOpenViduBackend().connect('not-a-token', ''));
    assert.equal((error as ConsultError).code, 'connection-failed');
  });

  it('rejects with aborted when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(
      createOpenViduBackend().connect(CLOSED_TOKEN, '', controller.signal),
    );
    assert.equal((error as ConsultError).code, 'aborted');
  });

  it('reads real WebRTC stats of a loopback call', async () => {
    const media = await camera();
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate));
      b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate));
      for (const track of media.getTracks()) a.addTrack(track, media);
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription!);

      let sent = summarizeStats(await a.getStats(), 'send', Date.now());
      let received = summarizeStats(await b.getStats(), 'receive', Date.now());
      await waitUntil(
        async () => {
          sent = summarizeStats(await a.getStats(), 'send', Date.now());
          received = summarizeStats(await b.getStats(), 'receive', Date.now());
          return (
            sent.packetsSent > 20 && received.packetsReceived > 20 && sent.roundTripMs !== undefined
          );
        },
        'media flows and RTT is measured',
        { timeout: 8000, interval: 100 },
      );
      assert.isAbove(sent.bytes, 0);
      assert.equal(received.packetsSent, 0);
      assert.isAbove(received.bytes, 0);
      assert.isAtLeast(sent.roundTripMs ?? -1, 0);
      assert.isBelow(sent.roundTripMs ?? Infinity, 1000);
      assert.isAtMost(sent.packetsLost, sent.packetsSent);
      if (IS_FIREFOX) {
        // Firefox reports jitter but no qualityLimitationReason: the classifier takes what is
        // missing as unknown, and a clean loopback reads good.
        await waitUntil(
          async () => {
            received = summarizeStats(await b.getStats(), 'receive', Date.now());
            return received.jitterMs !== undefined;
          },
          'jitter is reported',
          { timeout: 8000, interval: 100 },
        );
        assert.isAtLeast(received.jitterMs ?? -1, 0);
        assert.isUndefined(sent.qualityLimitationReason);
        const previous = sent;
        await waitUntil(
          async () => {
            sent = summarizeStats(await a.getStats(), 'send', Date.now());
            return sent.packetsSent > previous.packetsSent;
          },
          'a later sample',
          { timeout: 8000, interval: 100 },
        );
        assert.equal(classifyQuality(intervalMetrics(previous, sent)), 'good');
        assert.equal(classifyQuality(intervalMetrics(undefined, received)), 'good');
        return;
      }
      // The network signals the quality classifier reads (Chromium reports them all).
      await waitUntil(
        async () => {
          sent = summarizeStats(await a.getStats(), 'send', Date.now());
          received = summarizeStats(await b.getStats(), 'receive', Date.now());
          return received.jitterMs !== undefined && sent.qualityLimitationReason !== undefined;
        },
        'jitter and the limitation reason are reported',
        { timeout: 8000, interval: 100 },
      );
      assert.isAtLeast(received.jitterMs ?? -1, 0);
      assert.include(['none', 'bandwidth', 'cpu', 'other'], sent.qualityLimitationReason);
      assert.isAbove(sent.targetKbps ?? 0, 0);
      assert.isAbove(sent.availableOutgoingKbps ?? 0, 0);
      assert.isAtLeast(received.freezeCount ?? -1, 0);
      assert.isAtLeast(received.totalFreezesMs ?? -1, 0);
      assert.isAbove(sent.rttResponses ?? 0, 0);
      assert.isAtLeast(sent.rttTotalSeconds ?? -1, 0);
      // A publisher has no inbound video, a subscriber no encoder.
      assert.isUndefined(sent.freezeCount);
      assert.isUndefined(received.qualityLimitationReason);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('OpenVidu helpers', () => {
  it('splits client and server data', () => {
    assert.deepEqual(splitConnectionData('{"n":1}%/%{"userId":"u"}'), {
      clientData: '{"n":1}',
      serverData: '{"userId":"u"}',
    });
    assert.deepEqual(splitConnectionData('{"userId":"u"}'), {
      clientData: '',
      serverData: '{"userId":"u"}',
    });
    assert.deepEqual(splitConnectionData(''), { clientData: '', serverData: '' });
  });

  it('derives the signalling URL as openvidu-browser does', () => {
    assert.equal(
      signallingUrl('wss://media.example:4443/ignored?sessionId=ses_A&token=tok_B'),
      'wss://media.example:4443/openvidu?sessionId=ses_A',
    );
    assert.equal(signallingUrl('https://media.example?sessionId=x'), undefined);
  });

  it('maps OpenVidu errors to ConsultError codes', () => {
    const cases: [unknown, string, string][] = [
      [{ name: 'DEVICE_ACCESS_DENIED', message: 'no' }, 'unknown', 'permission-denied'],
      [{ name: 'DEVICE_ALREADY_IN_USE', message: 'busy' }, 'unknown', 'device-in-use'],
      [{ name: 'INPUT_VIDEO_DEVICE_NOT_FOUND', message: 'x' }, 'unknown', 'device-not-found'],
      [{ name: 'BROWSER_NOT_SUPPORTED', message: 'x' }, 'connection-failed', 'unsupported-browser'],
      [{ name: 'OPENVIDU_PERMISSION_DENIED', message: 'x' }, 'unknown', 'forbidden'],
      [{ name: 'OPENVIDU_NOT_CONNECTED', message: 'x' }, 'message-failed', 'invalid-state'],
      [{ code: 401, message: 'Token not valid' }, 'connection-failed', 'connection-failed'],
      [{ code: 601, message: 'to invalid' }, 'unknown', 'message-failed'],
      [new Error('Request has timed out'), 'unknown', 'timeout'],
      ['Error on publishVideo: {}', 'connection-failed', 'connection-failed'],
      [new DOMException('stop', 'AbortError'), 'unknown', 'aborted'],
    ];
    for (const [input, fallback, code] of cases) {
      const error = translateOpenViduError(input, fallback as 'unknown');
      assert.instanceOf(error, ConsultError);
      assert.equal(error.code, code, JSON.stringify(input));
      assert.isNotEmpty(error.message);
    }
  });
});

// ── A scripted fake of the openvidu-browser surface the adapter uses ────────────────────────────

type Handler = (event: unknown) => void;

class FakeConnection implements OvConnection {
  constructor(
    readonly connectionId: string,
    readonly data = '',
    readonly creationTime = 1000,
  ) {}
}

class FakeStream implements OvStream {
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  audioActive = true;
  videoActive = true;
  media: MediaStream | undefined;
  readonly pc = new RTCPeerConnection();
  constructor(
    readonly streamId: string,
    readonly connection: OvConnection,
    media: MediaStream | undefined,
    readonly typeOfVideo = 'CUSTOM',
  ) {
    this.media = media;
    this.hasAudio = !!media?.getAudioTracks().length;
    this.hasVideo = !!media?.getVideoTracks().length;
  }
  getMediaStream(): MediaStream {
    return this.media!;
  }
  getRTCPeerConnection(): RTCPeerConnection {
    return this.pc;
  }
}

class FakePublisher implements OvPublisher {
  readonly stream: FakeStream;
  readonly handlers: ((event: OvStreamEvent) => void)[] = [];
  readonly replaced: MediaStreamTrack[] = [];
  constructor(stream: FakeStream) {
    this.stream = stream;
  }
  publishAudio(enabled: boolean): void {
    this.stream.audioActive = enabled;
    for (const t of this.stream.getMediaStream().getAudioTracks()) t.enabled = enabled;
  }
  async publishVideo(enabled: boolean): Promise<void> {
    this.stream.videoActive = enabled;
    for (const t of this.stream.getMediaStream().getVideoTracks()) t.enabled = enabled;
  }
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    // What openvidu-browser does: stop and remove the old track of that kind, add the new one.
    const media = this.stream.getMediaStream();
    const old = track.kind === 'audio' ? media.getAudioTracks()[0] : media.getVideoTracks()[0];
    old?.stop();
    if (old) media.removeTrack(old);
    media.addTrack(track);
    this.replaced.push(track);
  }
  on(_type: 'streamDestroyed', handler: (event: OvStreamEvent) => void): unknown {
    this.handlers.push(handler);
    return this;
  }
  destroy(reason: string): void {
    for (const h of this.handlers) h({ stream: this.stream, reason });
    // Default behaviour of openvidu-browser: stop every track still in the MediaStream.
    for (const t of this.stream.getMediaStream().getTracks()) t.stop();
  }
}

class FakeSubscriber implements OvSubscriber {
  videoEnabled = true;
  constructor(readonly stream: FakeStream) {}
  subscribeToVideo(value: boolean): unknown {
    this.videoEnabled = value;
    return this;
  }
}

class FakeSession implements OvSession {
  connection: OvConnection | undefined;
  readonly remoteConnections = new Map<string, OvConnection>();
  readonly handlers = new Map<string, Set<Handler>>();
  readonly signals: { type?: string; data?: string; to?: string[] }[] = [];
  readonly published: FakePublisher[] = [];
  readonly subscribers: FakeSubscriber[] = [];
  connectResult: () => Promise<unknown> = async () => undefined;

  async connect(_token: string, metadata: string): Promise<unknown> {
    await this.connectResult();
    this.connection = new FakeConnection('con_LOCAL', metadata);
    return undefined;
  }
  disconnect(): void {
    for (const p of this.published.splice(0)) p.destroy('disconnect');
    this.fire('sessionDisconnected', { reason: 'disconnect' });
  }
  async publish(publisher: OvPublisher): Promise<void> {
    this.published.push(publisher as FakePublisher);
  }
  async unpublish(publisher: OvPublisher): Promise<void> {
    const at = this.published.indexOf(publisher as FakePublisher);
    if (at >= 0) this.published.splice(at, 1);
    (publisher as FakePublisher).destroy('unpublish');
  }
  subscribe(
    stream: OvStream,
    _target: undefined,
    _properties: unknown,
    done: (error: Error | undefined) => void,
  ): OvSubscriber {
    const subscriber = new FakeSubscriber(stream as FakeStream);
    this.subscribers.push(subscriber);
    queueMicrotask(() => done(undefined));
    return subscriber;
  }
  async signal(options: { type?: string; data?: string; to?: OvConnection[] }): Promise<void> {
    this.signals.push({
      type: options.type,
      data: options.data,
      to: options.to?.map((c) => c.connectionId),
    });
  }
  on(type: keyof OvSessionEvents, handler: Handler): unknown {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler);
    return this;
  }
  off(type: keyof OvSessionEvents, handler: Handler): unknown {
    this.handlers.get(type)?.delete(handler);
    return this;
  }
  fire<K extends keyof OvSessionEvents>(type: K, event: OvSessionEvents[K]): void {
    for (const h of [...(this.handlers.get(type) ?? [])]) h(event);
  }
  listenerCount(): number {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }
}

class FakeOpenVidu implements OpenViduLike {
  readonly session = new FakeSession();
  config: unknown;
  prod = false;
  initSession(): OvSession {
    return this.session;
  }
  async initPublisherAsync(
    _target: undefined,
    properties: {
      audioSource?: unknown;
      videoSource?: unknown;
      publishAudio?: boolean;
      publishVideo?: boolean;
    },
  ): Promise<OvPublisher> {
    const tracks = [properties.audioSource, properties.videoSource].filter(
      (t): t is MediaStreamTrack => t instanceof MediaStreamTrack,
    );
    const media = new MediaStream(tracks);
    for (const t of media.getAudioTracks()) t.enabled = !!properties.publishAudio;
    for (const t of media.getVideoTracks()) t.enabled = !!properties.publishVideo;
    const stream = new FakeStream(
      `str_${this.session.published.length}_con_LOCAL`,
      this.session.connection!,
      media,
    );
    stream.audioActive = !!properties.publishAudio;
    stream.videoActive = !!properties.publishVideo;
    return new FakePublisher(stream);
  }
  enableProdMode(): void {
    this.prod = true;
  }
  setAdvancedConfiguration(configuration: unknown): void {
    this.config = configuration;
  }
}

function record(backend: MediaBackend): { events: [keyof BackendEventMap, unknown][] } {
  const events: [keyof BackendEventMap, unknown][] = [];
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
    'recordingStarted',
    'recordingStopped',
    'exception',
  ];
  for (const name of names) backend.on(name, (detail) => events.push([name, detail]));
  return { events };
}

async function connected(): Promise<{
  backend: MediaBackend;
  ov: FakeOpenVidu;
  events: [keyof BackendEventMap, unknown][];
}> {
  const ov = new FakeOpenVidu();
  const backend = createOpenViduBackend({ openViduFactory: async () => ov, probeServer: false });
  const { events } = record(backend);
  const { connectionId } = await backend.connect('ws://fake?sessionId=s', '{"c":1}');
  assert.equal(connectionId, 'con_LOCAL');
  return { backend, ov, events };
}

function remoteStream(
  ov: FakeOpenVidu,
  id: string,
  media: MediaStream,
  typeOfVideo = 'CUSTOM',
): FakeStream {
  const connection = new FakeConnection(id, `{"c":2}%/%{"userId":"${id}"}`);
  ov.session.remoteConnections.set(id, connection);
  ov.session.fire('connectionCreated', { connection });
  const stream = new FakeStream(`str_CUS_x_${id}`, connection, media, typeOfVideo);
  ov.session.fire('streamCreated', { stream });
  return stream;
}

describe('OpenVidu adapter event mapping (scripted OpenVidu)', () => {
  it('configures OpenVidu quietly with speaking events', async () => {
    const { ov } = await connected();
    assert.isTrue(ov.prod);
    assert.deepInclude(ov.config as object, {
      publisherSpeakingEventsOptions: { interval: 100, threshold: -50 },
    });
  });

  it('maps connections, streams, subscriptions and properties', async () => {
    const { ov, events } = await connected();
    ov.session.fire('connectionCreated', { connection: ov.session.connection! }); // own: ignored
    const media = await camera();
    const stream = remoteStream(ov, 'con_B', media);
    await waitUntil(() => events.some(([n]) => n === 'streamSubscribed'), 'subscribed');
    assert.deepEqual(
      events.map(([n]) => n),
      ['connectionCreated', 'streamCreated', 'streamSubscribed'],
    );
    assert.deepEqual(events[0]![1], {
      connectionId: 'con_B',
      clientData: '{"c":2}',
      serverData: '{"userId":"con_B"}',
      createdAt: 1000,
    });
    assert.include(events[1]![1] as object, {
      streamId: stream.streamId,
      kind: 'camera',
      hasAudio: true,
      hasVideo: true,
    });
    assert.strictEqual((events[2]![1] as { mediaStream: MediaStream }).mediaStream, media);

    ov.session.fire('streamPropertyChanged', {
      stream,
      changedProperty: 'audioActive',
      newValue: false,
    });
    ov.session.fire('streamPropertyChanged', {
      stream,
      changedProperty: 'videoDimensions',
      newValue: {},
    });
    ov.session.fire('publisherStartSpeaking', { connection: stream.connection });
    ov.session.fire('streamDestroyed', { stream, reason: 'unpublish' });
    ov.session.fire('connectionDestroyed', { connection: stream.connection, reason: 'disconnect' });
    assert.deepEqual(events.slice(3), [
      [
        'streamPropertyChanged',
        { streamId: stream.streamId, connectionId: 'con_B', property: 'audioActive', value: false },
      ],
      ['speakingChanged', { connectionId: 'con_B', speaking: true }],
      [
        'streamDestroyed',
        { streamId: stream.streamId, connectionId: 'con_B', reason: 'unpublish' },
      ],
      ['connectionDestroyed', { connectionId: 'con_B', reason: 'disconnect' }],
    ]);
  });

  it('strips the signal: prefix and keeps server signals without sender', async () => {
    const { ov, events, backend } = await connected();
    const b = new FakeConnection('con_B');
    ov.session.remoteConnections.set('con_B', b);
    ov.session.fire('signal', { type: 'signal:chat', data: 'hi', from: b });
    ov.session.fire('signal', { type: 'signal:notice', data: 'x' });
    assert.deepEqual(events, [
      ['signal', { type: 'chat', data: 'hi', from: 'con_B' }],
      ['signal', { type: 'notice', data: 'x' }],
    ]);
    await backend.sendSignal('chat', 'hello', ['con_B']);
    await backend.sendSignal('chat', 'all');
    assert.deepEqual(ov.session.signals, [
      { type: 'chat', data: 'hello', to: ['con_B'] },
      { type: 'chat', data: 'all', to: undefined },
    ]);
    assert.equal(
      ((await rejection(backend.sendSignal('chat', 'x', ['con_NOPE']))) as ConsultError).code,
      'message-failed',
    );
    assert.equal(
      ((await rejection(backend.sendSignal(SCREEN_SIGNAL, '{}'))) as ConsultError).code,
      'invalid-state',
    );
  });

  it('rejects a signal left unanswered when the socket drops (openvidu-browser drops its callback)', async () => {
    const { ov, backend, events } = await connected();
    ov.session.signal = () => new Promise<void>(() => undefined);
    let eventsAtRejection: string[] = [];
    const pending = backend.sendSignal('chat', 'lost').catch((error: unknown) => {
      eventsAtRejection = events.map(([name]) => name);
      return error;
    });
    ov.session.fire('reconnecting', undefined);
    const error = (await pending) as ConsultError;
    assert.equal(error.code, 'network-error');
    assert.isTrue(error.recoverable);
    assert.deepEqual(eventsAtRejection, ['reconnecting'], 'senders see reconnecting first');
  });

  it('maps reconnection, recording, exceptions and the end of the session', async () => {
    const { ov, events } = await connected();
    const stream = new FakeStream('str_1', new FakeConnection('con_B'), undefined);
    ov.session.fire('reconnecting', undefined);
    ov.session.fire('reconnected', undefined);
    ov.session.fire('recordingStarted', { id: 'rec_1' });
    ov.session.fire('recordingStopped', { id: 'rec_1', reason: 'recordingStoppedByServer' });
    ov.session.fire('exception', { name: 'ICE_CONNECTION_FAILED', message: 'ice', origin: stream });
    ov.session.fire('sessionDisconnected', { reason: 'forceDisconnectByServer' });
    ov.session.fire('sessionDisconnected', { reason: 'again' });
    assert.deepEqual(events, [
      ['reconnecting', { reason: 'networkDisconnect' }],
      ['reconnected', {}],
      ['recordingStarted', { recordingId: 'rec_1' }],
      ['recordingStopped', { recordingId: 'rec_1', reason: 'recordingStoppedByServer' }],
      ['exception', { name: 'ICE_CONNECTION_FAILED', message: 'ice', connectionId: 'con_B' }],
      ['disconnected', { reason: 'forceDisconnectByServer' }],
    ]);
    assert.equal(ov.session.listenerCount(), 0, 'listeners removed after the session ended');
  });

  it('translates a rejected connect and removes its listeners', async () => {
    const ov = new FakeOpenVidu();
    ov.session.connectResult = async () => {
      throw { code: 401, message: 'Token tok_x is not valid' };
    };
    const backend = createOpenViduBackend({ openViduFactory: async () => ov, probeServer: false });
    const error = (await rejection(backend.connect('ws://fake?sessionId=s', ''))) as ConsultError;
    assert.equal(error.code, 'connection-failed');
    assert.equal(error.details?.['rpcCode'], 401);
    assert.equal(ov.session.listenerCount(), 0);
  });

  it('times out a connect that never settles', async () => {
    const ov = new FakeOpenVidu();
    ov.session.connectResult = () => new Promise(() => undefined);
    const backend = createOpenViduBackend({
      openViduFactory: async () => ov,
      probeServer: false,
      connectTimeoutMs: 200,
    });
    const error = (await rejection(backend.connect('ws://fake?sessionId=s', ''))) as ConsultError;
    assert.equal(error.code, 'connection-failed');
  });

  it('publishes the caller tracks and never stops them', async () => {
    const { backend, ov } = await connected();
    const media = await camera();
    const [audio, video] = [media.getAudioTracks()[0]!, media.getVideoTracks()[0]!];
    await backend.publish({
      audioTrack: audio,
      videoTrack: video,
      audioEnabled: false,
      videoEnabled: true,
    });
    const publisher = ov.session.published[0]!;
    assert.isFalse(audio.enabled, 'muted through publishAudio(false)');
    await backend.setAudioEnabled(true);
    assert.isTrue(audio.enabled);

    // Switching the camera: the old track goes out of the publisher but stays live for its owner.
    const other = (await camera()).getVideoTracks()[0]!;
    await backend.replaceTrack('video', other);
    assert.strictEqual(publisher.replaced[0], other);
    assert.equal(video.readyState, 'live');

    await backend.unpublish();
    assert.equal(audio.readyState, 'live');
    assert.equal(other.readyState, 'live');
    assert.lengthOf(ov.session.published, 0);
  });

  it('shares the screen by swapping the video track and announcing it', async () => {
    const { backend, ov } = await connected();
    ov.session.remoteConnections.set('con_B', new FakeConnection('con_B'));
    const media = await camera();
    const [audio, cam] = [media.getAudioTracks()[0]!, media.getVideoTracks()[0]!];
    await backend.publish({
      audioTrack: audio,
      videoTrack: cam,
      audioEnabled: true,
      videoEnabled: false,
    });
    const publisher = ov.session.published[0]!;
    const screen = (await camera()).getVideoTracks()[0]!; // stands in for a getDisplayMedia track

    await backend.publishScreen(screen);
    assert.strictEqual(publisher.stream.getMediaStream().getVideoTracks()[0], screen);
    assert.isTrue(publisher.stream.videoActive, 'screen video is on although the camera is off');
    assert.equal(cam.readyState, 'live', 'camera track kept for later');
    assert.deepEqual(ov.session.signals.at(-1), {
      type: SCREEN_SIGNAL,
      data: JSON.stringify({ streamId: publisher.stream.streamId, sharing: true }),
      to: ['con_B'],
    });

    // A camera switch during the share waits for the share to end.
    const cam2 = (await camera()).getVideoTracks()[0]!;
    await backend.replaceTrack('video', cam2);
    assert.strictEqual(publisher.stream.getMediaStream().getVideoTracks()[0], screen);

    // Someone joining during the share is told.
    const c = new FakeConnection('con_C');
    ov.session.remoteConnections.set('con_C', c);
    ov.session.fire('connectionCreated', { connection: c });
    await waitUntil(() => ov.session.signals.at(-1)?.to?.[0] === 'con_C', 'late joiner told');

    await backend.unpublishScreen();
    assert.strictEqual(publisher.stream.getMediaStream().getVideoTracks()[0], cam2);
    assert.isFalse(publisher.stream.videoActive, 'camera state restored (off)');
    assert.equal(screen.readyState, 'live', 'the screen track belongs to the caller');
    assert.include(ov.session.signals.at(-1)?.data ?? '', '"sharing":false');
  });

  it('presents a remote screen share as its own stream', async () => {
    const { ov, events } = await connected();
    const media = await camera();
    const stream = remoteStream(ov, 'con_B', media);
    await waitUntil(() => events.some(([n]) => n === 'streamSubscribed'), 'subscribed');
    events.length = 0;
    const from = stream.connection;
    ov.session.fire('signal', {
      type: `signal:${SCREEN_SIGNAL}`,
      data: JSON.stringify({ streamId: stream.streamId, sharing: true }),
      from,
    });
    const screenId = stream.streamId + SCREEN_STREAM_SUFFIX;
    assert.deepEqual(
      events.map(([n, d]) => [n, (d as { streamId?: string }).streamId]),
      [
        ['streamPropertyChanged', stream.streamId],
        ['streamCreated', screenId],
        ['streamSubscribed', screenId],
      ],
    );
    assert.include(events[0]![1] as object, { property: 'videoActive', value: false });
    assert.include(events[1]![1] as object, { kind: 'screen', hasVideo: true, hasAudio: false });
    const screenMedia = (events[2]![1] as { mediaStream: MediaStream }).mediaStream;
    assert.strictEqual(screenMedia.getVideoTracks()[0], media.getVideoTracks()[0]);
    assert.lengthOf(screenMedia.getAudioTracks(), 0);

    // The camera's videoActive stays hidden during the share.
    events.length = 0;
    ov.session.fire('streamPropertyChanged', {
      stream,
      changedProperty: 'videoActive',
      newValue: true,
    });
    assert.lengthOf(events, 0);

    ov.session.fire('signal', {
      type: `signal:${SCREEN_SIGNAL}`,
      data: JSON.stringify({ streamId: stream.streamId, sharing: false }),
      from,
    });
    assert.deepEqual(events, [
      ['streamDestroyed', { streamId: screenId, connectionId: 'con_B', reason: 'unpublish' }],
      [
        'streamPropertyChanged',
        { streamId: stream.streamId, connectionId: 'con_B', property: 'videoActive', value: true },
      ],
    ]);
  });

  it('disables received video for audio-only mode, also for later streams', async () => {
    const { backend, ov } = await connected();
    const first = remoteStream(ov, 'con_B', await camera());
    await backend.setReceiveVideo(false);
    assert.isFalse(ov.session.subscribers[0]!.videoEnabled);
    ov.session.fire('streamPropertyChanged', {
      stream: first,
      changedProperty: 'videoActive',
      newValue: true,
    });
    assert.isFalse(
      ov.session.subscribers[0]!.videoEnabled,
      'a remote camera turning on does not undo it',
    );
    remoteStream(ov, 'con_C', await camera());
    await waitUntil(() => ov.session.subscribers.length === 2, 'second subscriber');
    await waitUntil(
      () => ov.session.subscribers[1]!.videoEnabled === false,
      'applied to the new subscription',
    );
    await backend.setReceiveVideo(true);
    assert.isTrue(ov.session.subscribers.every((s) => s.videoEnabled));
  });

  it('disconnects once and reports it', async () => {
    const { backend, ov, events } = await connected();
    const media = await camera();
    await backend.publish({
      audioTrack: media.getAudioTracks()[0],
      videoTrack: media.getVideoTracks()[0],
      audioEnabled: true,
      videoEnabled: true,
    });
    await backend.disconnect();
    await backend.disconnect();
    assert.deepEqual(
      events.filter(([n]) => n === 'disconnected'),
      [['disconnected', { reason: 'disconnect' }]],
    );
    assert.isTrue(
      media.getTracks().every((t) => t.readyState === 'live'),
      'tracks survive disconnect',
    );
    assert.equal(ov.session.listenerCount(), 0);
    assert.equal(
      ((await rejection(backend.sendSignal('chat', 'x'))) as ConsultError).code,
      'invalid-state',
    );
  });
});
