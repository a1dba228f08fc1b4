/**
 * Fake media for Node: tracks, streams and a `MediaDevices` with scriptable devices and failures.
 * None of it touches the DOM, so it runs in Node and in browsers alike.
 * @packageDocumentation
 */
import type { MediaDevicesLike } from '../platform.js';

let counter = 0;
const nextId = (prefix: string): string => `${prefix}-${++counter}`;

/**
 * A `MediaStreamTrack` stand-in: `enabled`, `readyState`, `stop()`, `getSettings()` and the
 * `ended` event (fired by {@link FakeMediaStreamTrack.end}, as when the browser ends a share).
 * @public
 */
export class FakeMediaStreamTrack {
  readonly id: string = nextId('track');
  readonly kind: 'audio' | 'video';
  readonly label: string;
  enabled = true;
  readyState: 'live' | 'ended' = 'live';
  readonly deviceId: string;
  private readonly endedListeners = new Set<() => void>();

  constructor(kind: 'audio' | 'video', deviceId = 'default', label = `${kind} ${deviceId}`) {
    this.kind = kind;
    this.deviceId = deviceId;
    this.label = label;
  }

  stop(): void {
    this.readyState = 'ended';
  }

  getSettings(): { deviceId: string } {
    return { deviceId: this.deviceId };
  }

  addEventListener(type: string, listener: () => void): void {
    if (type === 'ended') this.endedListeners.add(listener);
  }

  removeEventListener(type: string, listener: () => void): void {
    if (type === 'ended') this.endedListeners.delete(listener);
  }

  /** Ends the track from the "browser" side (device unplugged, "Stop sharing" clicked). */
  end(): void {
    this.readyState = 'ended';
    for (const listener of [...this.endedListeners]) listener();
  }

  /** This object typed as the DOM interface. */
  asTrack(): MediaStreamTrack {
    return this as unknown as MediaStreamTrack;
  }
}

/** A `MediaStream` stand-in. @public */
export class FakeMediaStream {
  readonly id: string = nextId('stream');
  private readonly tracks: MediaStreamTrack[];

  constructor(tracks: readonly MediaStreamTrack[] = []) {
    this.tracks = [...tracks];
  }

  getTracks(): MediaStreamTrack[] {
    return [...this.tracks];
  }

  getAudioTracks(): MediaStreamTrack[] {
    return this.tracks.filter((t) => t.kind === 'audio');
  }

  getVideoTracks(): MediaStreamTrack[] {
    return this.tracks.filter((t) => t.kind === 'video');
  }

  addTrack(track: MediaStreamTrack): void {
    if (!this.tracks.includes(track)) this.tracks.push(track);
  }

  removeTrack(track: MediaStreamTrack): void {
    const i = this.tracks.indexOf(track);
    if (i >= 0) this.tracks.splice(i, 1);
  }

  /** This object typed as the DOM interface. */
  asStream(): MediaStream {
    return this as unknown as MediaStream;
  }
}

/** Builds a fake `MediaStream` from tracks (`Platform.createMediaStream` in Node). @public */
export function createFakeMediaStream(tracks: readonly MediaStreamTrack[] = []): MediaStream {
  return new FakeMediaStream(tracks).asStream();
}

/** A device the fake offers. @public */
export interface FakeDevice {
  deviceId: string;
  kind: 'audioinput' | 'videoinput' | 'audiooutput';
  label?: string;
  groupId?: string;
}

/** The default fake devices: one camera, two microphones, one speaker. @public */
export const DEFAULT_FAKE_DEVICES: readonly FakeDevice[] = [
  { deviceId: 'cam-1', kind: 'videoinput', label: 'Camera 1' },
  { deviceId: 'mic-1', kind: 'audioinput', label: 'Microphone 1' },
  { deviceId: 'mic-2', kind: 'audioinput', label: 'Microphone 2' },
  { deviceId: 'spk-1', kind: 'audiooutput', label: 'Speaker 1' },
];

/** An error shaped like a `DOMException` (`name` + `message`). @public */
export function fakeDomException(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * A scriptable `MediaDevices`: fixed device list, recorded `getUserMedia` calls, queued failures,
 * `setDevices()` fires `devicechange`.
 * @public
 */
export class FakeMediaDevices implements MediaDevicesLike {
  devices: FakeDevice[];
  /** Every constraints object passed to getUserMedia. */
  readonly calls: MediaStreamConstraints[] = [];
  /** Every track handed out, to assert they were stopped. */
  readonly tracks: FakeMediaStreamTrack[] = [];
  /** Errors thrown by the next getUserMedia calls, in order. */
  readonly failures: Error[] = [];
  /** Set to false to remove getDisplayMedia. */
  private readonly listeners = new Set<() => void>();
  getDisplayMedia?: (options?: DisplayMediaStreamOptions) => Promise<MediaStream>;

  constructor(
    devices: readonly FakeDevice[] = DEFAULT_FAKE_DEVICES,
    options: { displayMedia?: boolean } = {},
  ) {
    this.devices = [...devices];
    if (options.displayMedia !== false) {
      this.getDisplayMedia = async () => {
        const failure = this.failures.shift();
        if (failure) throw failure;
        const track = new FakeMediaStreamTrack('video', 'screen', 'Screen');
        this.tracks.push(track);
        return createFakeMediaStream([track.asTrack()]);
      };
    }
  }

  /** Makes the next getUserMedia (or getDisplayMedia) call fail with a DOMException-like error. */
  failNext(name: string): void {
    this.failures.push(fakeDomException(name));
  }

  /** Replaces the device list and fires `devicechange`. */
  setDevices(devices: readonly FakeDevice[]): void {
    this.devices = [...devices];
    for (const listener of [...this.listeners]) listener();
  }

  /** Live (not stopped) tracks handed out. */
  get liveTracks(): FakeMediaStreamTrack[] {
    return this.tracks.filter((t) => t.readyState === 'live');
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  async getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
    this.calls.push(constraints);
    const failure = this.failures.shift();
    if (failure) throw failure;
    const tracks: MediaStreamTrack[] = [];
    for (const kind of ['audio', 'video'] as const) {
      const c = constraints[kind];
      if (!c) continue;
      const inputKind = kind === 'audio' ? 'audioinput' : 'videoinput';
      const wanted = typeof c === 'object' ? exactId(c.deviceId) : undefined;
      const available = this.devices.filter((d) => d.kind === inputKind);
      const device =
        wanted === undefined ? available[0] : available.find((d) => d.deviceId === wanted);
      if (!device)
        throw fakeDomException(wanted === undefined ? 'NotFoundError' : 'OverconstrainedError');
      const track = new FakeMediaStreamTrack(kind, device.deviceId, device.label);
      this.tracks.push(track);
      tracks.push(track.asTrack());
    }
    return createFakeMediaStream(tracks);
  }

  async enumerateDevices(): Promise<MediaDeviceInfo[]> {
    return this.devices.map(
      (d) =>
        ({
          deviceId: d.deviceId,
          kind: d.kind,
          label: d.label ?? '',
          groupId: d.groupId ?? '',
          toJSON() {
            return this;
          },
        }) as MediaDeviceInfo,
    );
  }

  addEventListener(_type: 'devicechange', listener: () => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'devicechange', listener: () => void): void {
    this.listeners.delete(listener);
  }
}

function exactId(value: ConstrainDOMString | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value[0];
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v =
      (value as ConstrainDOMStringParameters).exact ??
      (value as ConstrainDOMStringParameters).ideal;
    return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}
