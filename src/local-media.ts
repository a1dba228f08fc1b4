/**
 * Local camera, microphone and screen: capture through the injected `mediaDevices`, the pre-join
 * preview, mute/unmute, device switching without renegotiation, device-change fallback, audio
 * output choice (state only: the element applies `setSinkId`), screen share and audio-only mode.
 * Capture failures are translated only by `translateMediaError`.
 * @packageDocumentation
 */
import type { MediaBackend } from './backend.js';
import { Emitter } from './emitter.js';
import { ConsultError, MediaDeviceError, translateMediaError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import type { MediaDevicesLike, Platform } from './platform.js';
import type { DeviceInfo, LocalMediaState, Unsubscribe } from './types.js';
import { SerialQueue } from './serial.js';

/** The part of the media backend local media drives mid-call. @public */
export type LocalMediaSink = Pick<
  MediaBackend,
  | 'replaceTrack'
  | 'setAudioEnabled'
  | 'setVideoEnabled'
  | 'publishScreen'
  | 'unpublishScreen'
  | 'setReceiveVideo'
>;

/** Options of {@link LocalMedia}. @public */
export interface LocalMediaOptions {
  platform: Pick<
    Platform,
    'mediaDevices' | 'isSecureContext' | 'isMobile' | 'canSelectAudioOutput' | 'createMediaStream'
  >;
  logger?: Logger;
  /** Capture the microphone. Default true. */
  audio?: boolean;
  /** Capture the camera. Default true. */
  video?: boolean;
  audioDeviceId?: string;
  videoDeviceId?: string;
  audioOutputId?: string;
  /** Video constraints besides the device (resolution, frame rate). */
  videoConstraints?: MediaTrackConstraints;
}

/** Events of {@link LocalMedia}. @public */
export interface LocalMediaEventMap {
  /** The state snapshot changed. */
  change: { state: LocalMediaState };
  devicesChanged: { devices: readonly DeviceInfo[] };
  /** A background failure (device-change fallback). Command failures reject instead. */
  error: { error: ConsultError };
}

type Kind = 'audio' | 'video';
const DEVICE_NAME = { audio: 'microphone', video: 'camera' } as const;

/**
 * Local media of one user. Works before a call (preview) and during it (after {@link attach}).
 * @remarks Operations are serialised, so rapid toggles cannot interleave. Call {@link stop} to
 * release every track and listener.
 * @public
 */
export class LocalMedia {
  private current: LocalMediaState;
  private deviceList: readonly DeviceInfo[] = [];
  private readonly options: LocalMediaOptions;
  private readonly logger: Logger;
  private readonly emitter: Emitter<LocalMediaEventMap>;
  private sink: LocalMediaSink | undefined;
  private tracks: { audio?: MediaStreamTrack; video?: MediaStreamTrack } = {};
  private screen: { track: MediaStreamTrack; stream: MediaStream; onEnded: () => void } | undefined;
  private listening = false;
  private cameraBeforeAudioOnly = false;
  private readonly queue = new SerialQueue();
  private stopped = false;

  constructor(options: LocalMediaOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.emitter = new Emitter(this.logger);
    const { platform } = options;
    this.current = {
      audioEnabled: options.audio ?? true,
      videoEnabled: options.video ?? true,
      ...(options.audioDeviceId !== undefined ? { audioDeviceId: options.audioDeviceId } : {}),
      ...(options.videoDeviceId !== undefined ? { videoDeviceId: options.videoDeviceId } : {}),
      ...(options.audioOutputId !== undefined ? { audioOutputId: options.audioOutputId } : {}),
      screenSharing: false,
      audioOnly: false,
      audioOnlySuggested: false,
      canScreenShare:
        !platform.isMobile && typeof platform.mediaDevices?.getDisplayMedia === 'function',
      canSelectAudioOutput: platform.canSelectAudioOutput,
    };
  }

  /** The current snapshot. */
  get state(): LocalMediaState {
    return this.current;
  }

  /** Known devices (labels appear once permission was granted). */
  get devices(): readonly DeviceInfo[] {
    return this.deviceList;
  }

  get audioTrack(): MediaStreamTrack | undefined {
    return this.tracks.audio;
  }

  get videoTrack(): MediaStreamTrack | undefined {
    return this.tracks.video;
  }

  /** The screen-share stream while sharing. */
  get screenStream(): MediaStream | undefined {
    return this.screen?.stream;
  }

  on<K extends keyof LocalMediaEventMap>(
    event: K,
    listener: (detail: LocalMediaEventMap[K]) => void,
  ): Unsubscribe {
    return this.emitter.on(event, listener);
  }

  /** Routes changes to a published call from now on. */
  attach(sink: LocalMediaSink): void {
    this.sink = sink;
  }

  detach(): void {
    this.sink = undefined;
  }

  /**
   * Captures what is enabled and not yet captured (the pre-join preview; also run at join).
   * Keeps whatever succeeded; rejects with the first {@link MediaDeviceError} when a requested
   * device failed (also recorded in `state.error`).
   */
  start(options: { signal?: AbortSignal } = {}): Promise<MediaStream | undefined> {
    return this.serial(async () => {
      const { signal } = options;
      const wanted: Kind[] = [];
      if (this.current.audioEnabled && !this.tracks.audio) wanted.push('audio');
      if (this.current.videoEnabled && !this.current.audioOnly && !this.tracks.video)
        wanted.push('video');
      if (wanted.length > 0) {
        const { acquired, error } = await this.capture(wanted, signal);
        for (const [kind, track] of acquired) this.tracks[kind] = track;
        if (this.tracks.audio) this.tracks.audio.enabled = this.current.audioEnabled;
        this.publishState({ error });
        this.listen();
        await this.refreshDeviceList().catch(() => undefined);
        if (error) throw error;
      } else {
        this.listen();
      }
      return this.current.previewStream;
    });
  }

  /** Mutes or unmutes the microphone (`track.enabled`, so unmuting is instant). */
  setMicrophoneEnabled(enabled: boolean): Promise<void> {
    return this.serial(async () => {
      const track = this.tracks.audio;
      if (track) {
        track.enabled = enabled;
      } else if (enabled && this.listening) {
        const fresh = await this.acquire('audio');
        this.tracks.audio = fresh;
        await this.sink?.replaceTrack('audio', fresh);
      }
      await this.sink?.setAudioEnabled(enabled);
      this.publishState({ patch: { audioEnabled: enabled } });
    });
  }

  /**
   * Turns the camera off (stopping the track, so the camera light goes off) or on (capturing
   * again and replacing the published track). Turning it on leaves audio-only mode.
   */
  setCameraEnabled(enabled: boolean): Promise<void> {
    return this.serial(() => this.applyCamera(enabled));
  }

  /** Switches camera or microphone; the published track is replaced without renegotiation. */
  selectDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    if (typeof deviceId !== 'string' || deviceId === '')
      throw new TypeError('deviceId must be a non-empty string');
    return this.serial(async () => {
      const k: Kind = kind === 'audioinput' ? 'audio' : 'video';
      const key = k === 'audio' ? 'audioDeviceId' : 'videoDeviceId';
      const old = this.tracks[k];
      if (old && old.readyState !== 'ended') {
        const fresh = await this.acquire(k, deviceId);
        fresh.enabled = old.enabled;
        this.tracks[k] = fresh;
        old.stop();
        await this.sink?.replaceTrack(k, fresh);
      }
      this.publishState({ patch: { [key]: deviceId } });
    });
  }

  /** Chooses the audio output; the element applies it with `setSinkId`. */
  selectAudioOutput(deviceId: string): Promise<void> {
    if (typeof deviceId !== 'string') throw new TypeError('deviceId must be a string');
    if (!this.options.platform.canSelectAudioOutput) {
      return Promise.reject(
        new MediaDeviceError(
          'unsupported-browser',
          'speaker',
          'This browser cannot choose the audio output.',
        ),
      );
    }
    this.publishState({ patch: { audioOutputId: deviceId } });
    return Promise.resolve();
  }

  /** Lists devices again (and starts following `devicechange`). */
  refreshDevices(): Promise<readonly DeviceInfo[]> {
    return this.serial(async () => {
      this.listen();
      return this.refreshDeviceList();
    });
  }

  /** Shares the screen; the browser's own "Stop sharing" ends it too. */
  startScreenShare(): Promise<void> {
    return this.serial(async () => {
      const devices = this.options.platform.mediaDevices;
      if (!this.current.canScreenShare || !devices?.getDisplayMedia) {
        throw new MediaDeviceError(
          'unsupported-browser',
          'screen',
          'This browser cannot share the screen.',
        );
      }
      if (this.screen) return;
      let stream: MediaStream;
      try {
        stream = await devices.getDisplayMedia({ video: true, audio: false });
      } catch (error) {
        throw translateMediaError(error, 'screen', this.options.platform.isSecureContext);
      }
      const track = stream.getVideoTracks()[0];
      if (!track) throw new MediaDeviceError('unknown', 'screen', 'The screen share has no video.');
      const onEnded = (): void => {
        void this.stopScreenShare().catch((error: unknown) =>
          this.report(ConsultError.from(error)),
        );
      };
      track.addEventListener('ended', onEnded);
      this.screen = { track, stream, onEnded };
      try {
        await this.sink?.publishScreen(track);
      } catch (error) {
        this.releaseScreen();
        throw ConsultError.from(error, 'connection-failed');
      }
      this.publishState({ patch: { screenSharing: true } });
    });
  }

  stopScreenShare(): Promise<void> {
    return this.serial(async () => {
      if (!this.screen) return;
      this.releaseScreen();
      this.publishState({ patch: { screenSharing: false } });
      await this.sink?.unpublishScreen();
    });
  }

  /**
   * Audio-only mode: stop sending video (camera off) and receiving it. Leaving it restores the
   * camera if it was on before.
   */
  setAudioOnly(audioOnly: boolean): Promise<void> {
    return this.serial(async () => {
      if (audioOnly === this.current.audioOnly) return;
      if (audioOnly) {
        this.cameraBeforeAudioOnly = this.current.videoEnabled;
        this.dropTrack('video');
        await this.sink?.setVideoEnabled(false);
        await this.sink?.setReceiveVideo(false);
        this.publishState({
          patch: { audioOnly: true, videoEnabled: false, audioOnlySuggested: false },
        });
      } else {
        await this.sink?.setReceiveVideo(true);
        this.publishState({ patch: { audioOnly: false } });
        if (this.cameraBeforeAudioOnly) await this.applyCamera(true);
      }
    });
  }

  /** Sets or clears the audio-only suggestion (from the quality monitor). */
  setAudioOnlySuggested(suggested: boolean): void {
    if (this.current.audioOnlySuggested !== suggested)
      this.publishState({ patch: { audioOnlySuggested: suggested } });
  }

  /** Releases every track and listener; the object is unusable afterwards. */
  stop(): void {
    this.stopped = true;
    this.sink = undefined;
    this.releaseScreen();
    this.dropTrack('audio');
    this.dropTrack('video');
    if (this.listening) {
      this.options.platform.mediaDevices?.removeEventListener(
        'devicechange',
        this.handleDeviceChange,
      );
      this.listening = false;
    }
    this.publishState({ patch: { screenSharing: false } });
    this.emitter.clear();
  }

  private async applyCamera(enabled: boolean): Promise<void> {
    if (!enabled) {
      this.dropTrack('video');
      await this.sink?.setVideoEnabled(false);
      this.publishState({ patch: { videoEnabled: false } });
      return;
    }
    if (this.current.audioOnly) {
      await this.sink?.setReceiveVideo(true);
      this.publishState({ patch: { audioOnly: false } });
    }
    if (!this.tracks.video || this.tracks.video.readyState === 'ended') {
      const fresh = await this.acquire('video', this.current.videoDeviceId);
      this.tracks.video = fresh;
      this.listen();
      await this.sink?.replaceTrack('video', fresh);
    }
    await this.sink?.setVideoEnabled(true);
    this.publishState({ patch: { videoEnabled: true } });
  }

  private handleDeviceChange = (): void => {
    void this.serial(async () => {
      const devices = await this.refreshDeviceList();
      for (const kind of ['audio', 'video'] as const) {
        const track = this.tracks[kind];
        const key = kind === 'audio' ? 'audioDeviceId' : 'videoDeviceId';
        const inUse = this.current[key] ?? deviceIdOf(track);
        const inputKind = kind === 'audio' ? 'audioinput' : 'videoinput';
        const stillThere =
          inUse === undefined || devices.some((d) => d.kind === inputKind && d.deviceId === inUse);
        if (stillThere) continue;
        // The device in use disappeared: fall back to the default device.
        this.logger.info('selected device disappeared; falling back to the default', { kind });
        this.publishState({ patch: { [key]: undefined } });
        if (!track) continue;
        try {
          const fresh = await this.acquire(kind);
          fresh.enabled = track.enabled;
          this.tracks[kind] = fresh;
          track.stop();
          await this.sink?.replaceTrack(kind, fresh);
          this.publishState({});
        } catch (error) {
          this.report(ConsultError.from(error));
        }
      }
    }).catch((error: unknown) => this.report(ConsultError.from(error)));
  };

  private listen(): void {
    const devices = this.options.platform.mediaDevices;
    if (this.listening || !devices || this.stopped) return;
    devices.addEventListener('devicechange', this.handleDeviceChange);
    this.listening = true;
  }

  private async refreshDeviceList(): Promise<readonly DeviceInfo[]> {
    const devices = this.requireDevices('camera-and-microphone');
    let infos: MediaDeviceInfo[];
    try {
      infos = await devices.enumerateDevices();
    } catch (error) {
      throw translateMediaError(
        error,
        'camera-and-microphone',
        this.options.platform.isSecureContext,
      );
    }
    const seen = new Set<string>();
    const list: DeviceInfo[] = [];
    for (const info of infos) {
      if (info.kind !== 'audioinput' && info.kind !== 'videoinput' && info.kind !== 'audiooutput')
        continue;
      const key = `${info.kind}:${info.deviceId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      list.push({
        deviceId: info.deviceId,
        kind: info.kind,
        label: info.label,
        ...(info.groupId ? { groupId: info.groupId } : {}),
      });
    }
    const changed =
      list.length !== this.deviceList.length ||
      list.some((d, i) => {
        const o = this.deviceList[i];
        return !o || o.deviceId !== d.deviceId || o.kind !== d.kind || o.label !== d.label;
      });
    if (changed) {
      this.deviceList = list;
      this.emitter.emit('devicesChanged', { devices: list });
    }
    return this.deviceList;
  }

  private requireDevices(device: MediaDeviceError['device']): MediaDevicesLike {
    const devices = this.options.platform.mediaDevices;
    if (!this.options.platform.isSecureContext) throw translateMediaError(undefined, device, false);
    if (!devices) {
      throw new MediaDeviceError(
        'unsupported-browser',
        device,
        'This browser cannot capture media.',
      );
    }
    return devices;
  }

  private constraints(kind: Kind, deviceId: string | undefined): boolean | MediaTrackConstraints {
    const base = kind === 'video' ? (this.options.videoConstraints ?? {}) : {};
    if (deviceId === undefined) return Object.keys(base).length > 0 ? base : true;
    return { ...base, deviceId: { exact: deviceId } };
  }

  /** Captures one kind, translating failures. */
  private async acquire(
    kind: Kind,
    deviceId = kind === 'audio' ? this.current.audioDeviceId : this.current.videoDeviceId,
  ): Promise<MediaStreamTrack> {
    const devices = this.requireDevices(DEVICE_NAME[kind]);
    let stream: MediaStream;
    try {
      stream = await devices.getUserMedia({ [kind]: this.constraints(kind, deviceId) });
    } catch (error) {
      const translated = translateMediaError(
        error,
        DEVICE_NAME[kind],
        this.options.platform.isSecureContext,
      );
      this.publishState({ error: translated });
      throw translated;
    }
    const track = kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    if (!track)
      throw new MediaDeviceError(
        'device-not-found',
        DEVICE_NAME[kind],
        `No ${DEVICE_NAME[kind]} track.`,
      );
    if (this.stopped) {
      track.stop();
      throw ConsultError.invalidState('Local media was stopped.');
    }
    return track;
  }

  /** Captures several kinds: one prompt for both, then each alone if the pair failed. */
  private async capture(
    kinds: readonly Kind[],
    signal: AbortSignal | undefined,
  ): Promise<{ acquired: Array<[Kind, MediaStreamTrack]>; error: MediaDeviceError | undefined }> {
    const devices = this.requireDevices(
      kinds.length === 2 ? 'camera-and-microphone' : DEVICE_NAME[kinds[0] ?? 'audio'],
    );
    const acquired: Array<[Kind, MediaStreamTrack]> = [];
    let error: MediaDeviceError | undefined;
    const abortIfNeeded = (): void => {
      if (signal?.aborted) {
        for (const [, track] of acquired) track.stop();
        throw ConsultError.aborted(signal.reason);
      }
    };
    abortIfNeeded();
    if (kinds.length === 2) {
      try {
        const stream = await devices.getUserMedia({
          audio: this.constraints('audio', this.current.audioDeviceId),
          video: this.constraints('video', this.current.videoDeviceId),
        });
        const audio = stream.getAudioTracks()[0];
        const video = stream.getVideoTracks()[0];
        if (audio) acquired.push(['audio', audio]);
        if (video) acquired.push(['video', video]);
        abortIfNeeded();
        return { acquired, error };
      } catch (e) {
        if (e instanceof ConsultError && e.code === 'aborted') throw e;
        this.logger.debug('combined capture failed; trying each device alone');
      }
    }
    for (const kind of kinds) {
      try {
        acquired.push([kind, await this.acquire(kind)]);
      } catch (e) {
        error ??= e instanceof MediaDeviceError ? e : translateMediaError(e, DEVICE_NAME[kind]);
        this.current = {
          ...this.current,
          [kind === 'audio' ? 'audioEnabled' : 'videoEnabled']: false,
        };
      }
      abortIfNeeded();
    }
    return { acquired, error };
  }

  private dropTrack(kind: Kind): void {
    this.tracks[kind]?.stop();
    this.tracks[kind] = undefined;
  }

  private releaseScreen(): void {
    if (!this.screen) return;
    this.screen.track.removeEventListener('ended', this.screen.onEnded);
    this.screen.track.stop();
    this.screen = undefined;
  }

  private report(error: ConsultError): void {
    this.publishState({ error });
    this.emitter.emit('error', { error });
  }

  /** Rebuilds the snapshot: the patch, the preview stream and the error (cleared on success). */
  private publishState(change: {
    patch?: Partial<LocalMediaState>;
    error?: ConsultError | undefined;
  }): void {
    const tracks = [this.tracks.audio, this.tracks.video].filter((t): t is MediaStreamTrack => !!t);
    const previous = this.current;
    let previewStream = previous.previewStream;
    const previousTracks = previewStream?.getTracks() ?? [];
    const same =
      previousTracks.length === tracks.length && tracks.every((t) => previousTracks.includes(t));
    if (!same) {
      const create = this.options.platform.createMediaStream;
      previewStream = tracks.length === 0 || !create ? undefined : create(tracks);
    }
    const next: LocalMediaState = { ...previous, ...change.patch };
    if (previewStream) next.previewStream = previewStream;
    else delete next.previewStream;
    if ('error' in change) {
      if (change.error) next.error = change.error;
      else delete next.error;
    }
    const keys = new Set([...Object.keys(previous), ...Object.keys(next)] as Array<
      keyof LocalMediaState
    >);
    if ([...keys].every((k) => previous[k] === next[k])) return;
    this.current = next;
    this.emitter.emit('change', { state: next });
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    return this.queue.run(operation).then(
      (value) => value,
      (error: unknown) => {
        throw ConsultError.from(error);
      },
    );
  }
}

function deviceIdOf(track: MediaStreamTrack | undefined): string | undefined {
  const id = track?.getSettings?.().deviceId;
  return id === undefined || id === '' ? undefined : id;
}
