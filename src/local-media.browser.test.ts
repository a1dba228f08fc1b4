// LocalMedia in real Chromium and Firefox with fake devices (Chromium has two fake cameras: see
// web-test-runner.config.mjs).
import { assert, waitUntil } from '@open-wc/testing';
import { resetMouse, sendMouse } from '@web/test-runner-commands';
import type { LocalMediaSink } from './local-media.js';
import { LocalMedia } from './local-media.js';
import { MediaDeviceError, type ConsultError } from './errors.js';
import { browserPlatform, type MediaDevicesLike, type Platform } from './platform.js';

declare const describe: (name: string, body: () => void) => void;
type TestFn = (name: string, body: () => Promise<void> | void) => void;
declare const it: TestFn & { skip: TestFn };
declare const afterEach: (body: () => void | Promise<void>) => void;

/** Firefox ESR runs this file too; its one fake camera is named differently (docs/contributing.md#browsers). */
const IS_FIREFOX = navigator.userAgent.includes('Firefox/');
/** The fake cameras: Chromium's two (device-count=2 in web-test-runner.config.mjs), Firefox's one. */
const FAKE_CAMERAS = IS_FIREFOX ? ['Default Video Device'] : ['fake_device_0', 'fake_device_1'];
/**
 * A test that needs Chromium's second fake camera, its fake screen for getDisplayMedia (headless
 * Firefox finds no screen) or its fake audio output (Firefox lists outputs only after
 * selectAudioOutput()).
 */
const chromiumOnly = IS_FIREFOX ? it.skip : it;

type Call = [keyof LocalMediaSink, ...unknown[]];

/** Records what LocalMedia asks of the call. */
function recordingSink(): { sink: LocalMediaSink; calls: Call[] } {
  const calls: Call[] = [];
  const sink: LocalMediaSink = {
    replaceTrack: async (kind, track) => void calls.push(['replaceTrack', kind, track]),
    setAudioEnabled: async (enabled) => void calls.push(['setAudioEnabled', enabled]),
    setVideoEnabled: async (enabled) => void calls.push(['setVideoEnabled', enabled]),
    publishScreen: async (track) => void calls.push(['publishScreen', track]),
    unpublishScreen: async () => void calls.push(['unpublishScreen']),
    setReceiveVideo: async (enabled) => void calls.push(['setReceiveVideo', enabled]),
  };
  return { sink, calls };
}

const created: LocalMedia[] = [];
function localMedia(
  overrides: Partial<ConstructorParameters<typeof LocalMedia>[0]> = {},
): LocalMedia {
  const media = new LocalMedia({ platform: browserPlatform(), ...overrides });
  created.push(media);
  return media;
}

afterEach(async () => {
  for (const media of created.splice(0)) media.stop();
  await resetMouse();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function cameraId(label: string): Promise<string> {
  const device = (await navigator.mediaDevices.enumerateDevices()).find(
    (d) => d.kind === 'videoinput' && d.label === label,
  );
  assert.exists(device, label);
  return device!.deviceId;
}

describe('LocalMedia in a real browser', () => {
  it('captures a preview and lists the fake devices', async () => {
    const media = localMedia();
    const preview = await media.start();
    assert.exists(preview);
    assert.equal(media.audioTrack?.readyState, 'live');
    assert.equal(media.videoTrack?.label, FAKE_CAMERAS[0]);
    assert.sameMembers(preview!.getTracks(), [media.audioTrack!, media.videoTrack!]);
    const cameras = media.devices.filter((d) => d.kind === 'videoinput').map((d) => d.label);
    assert.includeMembers(cameras, FAKE_CAMERAS);
    assert.isTrue(media.devices.some((d) => d.kind === 'audioinput' && d.label !== ''));
    assert.isTrue(media.state.canScreenShare);
    assert.isUndefined(media.state.error);
  });

  it('mutes and unmutes the microphone through track.enabled', async () => {
    const media = localMedia();
    const { sink, calls } = recordingSink();
    await media.start();
    media.attach(sink);
    const mic = media.audioTrack!;
    await media.setMicrophoneEnabled(false);
    assert.isFalse(mic.enabled);
    assert.equal(mic.readyState, 'live');
    assert.isFalse(media.state.audioEnabled);
    await media.setMicrophoneEnabled(true);
    assert.strictEqual(media.audioTrack, mic, 'same track, so unmuting is instant');
    assert.isTrue(mic.enabled);
    assert.deepEqual(calls, [
      ['setAudioEnabled', false],
      ['setAudioEnabled', true],
    ]);
  });

  it('stops the camera when it is turned off and captures a new track when on', async () => {
    const media = localMedia();
    const { sink, calls } = recordingSink();
    await media.start();
    media.attach(sink);
    const first = media.videoTrack!;
    await media.setCameraEnabled(false);
    assert.equal(first.readyState, 'ended', 'camera light goes off');
    assert.isFalse(media.state.videoEnabled);
    assert.deepEqual(media.state.previewStream?.getVideoTracks() ?? [], []);

    await media.setCameraEnabled(true);
    const second = media.videoTrack!;
    assert.notStrictEqual(second, first);
    assert.equal(second.readyState, 'live');
    assert.deepEqual(calls, [
      ['setVideoEnabled', false],
      ['replaceTrack', 'video', second],
      ['setVideoEnabled', true],
    ]);
  });

  chromiumOnly('switches to the second fake camera with a new track', async () => {
    const media = localMedia();
    const { sink, calls } = recordingSink();
    await media.start();
    media.attach(sink);
    const before = media.videoTrack!;
    const id = await cameraId('fake_device_1');
    await media.selectDevice('videoinput', id);
    const after = media.videoTrack!;
    assert.equal(after.label, 'fake_device_1');
    assert.equal(after.getSettings().deviceId, id);
    assert.equal(before.readyState, 'ended');
    assert.equal(media.state.videoDeviceId, id);
    assert.deepEqual(calls, [['replaceTrack', 'video', after]]);
    assert.sameMembers(media.state.previewStream!.getTracks(), [media.audioTrack!, after]);
  });

  it('rejects an unknown device id with a translated error and keeps the current track', async () => {
    const media = localMedia();
    await media.start();
    const current = media.videoTrack!;
    const error = await rejection(media.selectDevice('videoinput', 'no-such-camera'));
    assert.instanceOf(error, MediaDeviceError);
    assert.include(['overconstrained', 'device-not-found'], (error as ConsultError).code);
    assert.equal((error as MediaDeviceError).device, 'camera');
    assert.strictEqual(media.videoTrack, current);
    assert.equal(current.readyState, 'live');
  });

  chromiumOnly('starts on a chosen camera', async () => {
    await localMedia().start(); // permission, so that labels and ids are known
    const id = await cameraId('fake_device_1');
    const media = localMedia({ videoDeviceId: id, audio: false });
    await media.start();
    assert.equal(media.videoTrack?.label, 'fake_device_1');
    assert.isUndefined(media.audioTrack);
  });

  chromiumOnly('keeps the audio output choice in its state', async () => {
    const media = localMedia();
    await media.start();
    assert.isTrue(media.state.canSelectAudioOutput, 'Chromium has setSinkId');
    const output = media.devices.find((d) => d.kind === 'audiooutput');
    assert.exists(output);
    await media.selectAudioOutput(output!.deviceId);
    assert.equal(media.state.audioOutputId, output!.deviceId);
  });

  chromiumOnly('falls back to the default camera when the selected one disappears', async () => {
    await localMedia().start();
    const id = await cameraId('fake_device_1');
    // Real capture; the device list hides the second camera once it "is unplugged".
    const real = navigator.mediaDevices;
    let unplugged = false;
    const listeners = new Set<() => void>();
    const devices: MediaDevicesLike = {
      getUserMedia: (c) => real.getUserMedia(c),
      getDisplayMedia: (o) => real.getDisplayMedia(o),
      enumerateDevices: async () =>
        (await real.enumerateDevices()).filter((d) => !(unplugged && d.deviceId === id)),
      addEventListener: (_type, listener) => void listeners.add(listener),
      removeEventListener: (_type, listener) => void listeners.delete(listener),
    };
    const platform: Platform = { ...browserPlatform(), mediaDevices: devices };
    const media = localMedia({ platform, videoDeviceId: id });
    const { sink, calls } = recordingSink();
    await media.start();
    media.attach(sink);
    const old = media.videoTrack!;
    assert.equal(old.label, 'fake_device_1');
    assert.equal(listeners.size, 1, 'listens to devicechange');

    unplugged = true;
    for (const listener of listeners) listener();
    await waitUntil(() => media.videoTrack !== old, 'replaced after devicechange', {
      timeout: 5000,
    });
    assert.equal(media.videoTrack?.label, FAKE_CAMERAS[0]);
    assert.equal(old.readyState, 'ended');
    assert.isUndefined(media.state.videoDeviceId);
    assert.isFalse(media.devices.some((d) => d.deviceId === id));
    assert.deepEqual(calls, [['replaceTrack', 'video', media.videoTrack]]);
    media.stop();
    assert.equal(listeners.size, 0, 'stops listening');
  });

  chromiumOnly('shares the screen with getDisplayMedia after a click, and stops it', async () => {
    const media = localMedia();
    const { sink, calls } = recordingSink();
    await media.start();
    media.attach(sink);
    // getDisplayMedia needs a user gesture: a real (CDP) click on a button provides it.
    const button = document.createElement('button');
    button.textContent = 'share';
    button.style.cssText = 'position:fixed;left:0;top:0;width:100px;height:40px';
    document.body.append(button);
    let started: Promise<void> | undefined;
    button.addEventListener('click', () => {
      started = media.startScreenShare();
    });
    try {
      await sendMouse({ type: 'click', position: [20, 20] });
      await waitUntil(() => started !== undefined, 'clicked');
      await started;
    } finally {
      button.remove();
    }
    const screen = media.screenStream?.getVideoTracks()[0];
    assert.exists(screen);
    assert.equal(screen!.readyState, 'live');
    assert.isTrue(media.state.screenSharing);
    assert.deepEqual(calls, [['publishScreen', screen]]);

    await media.stopScreenShare();
    assert.equal(screen!.readyState, 'ended');
    assert.isFalse(media.state.screenSharing);
    assert.deepEqual(calls.at(-1), ['unpublishScreen']);
  });

  it('enters and leaves audio-only mode', async () => {
    const media = localMedia();
    const { sink, calls } = recordingSink();
    await media.start();
    media.attach(sink);
    const camera = media.videoTrack!;
    await media.setAudioOnly(true);
    assert.equal(camera.readyState, 'ended');
    assert.isTrue(media.state.audioOnly);
    assert.isFalse(media.state.videoEnabled);
    await media.setAudioOnly(false);
    assert.equal(media.videoTrack?.readyState, 'live');
    assert.isTrue(media.state.videoEnabled);
    assert.deepEqual(
      calls.map(([name, arg]) => [name, typeof arg === 'object' ? 'track' : arg]),
      [
        ['setVideoEnabled', false],
        ['setReceiveVideo', false],
        ['setReceiveVideo', true],
        ['replaceTrack', 'video'],
        ['setVideoEnabled', true],
      ],
    );
  });

  it('releases every track when stopped', async () => {
    const media = localMedia();
    await media.start();
    const tracks = [media.audioTrack!, media.videoTrack!];
    media.stop();
    assert.isTrue(tracks.every((t) => t.readyState === 'ended'));
  });
});
