import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaDeviceError } from './errors.js';
import { LocalMedia } from './local-media.js';
import { FakeBackend } from './testing/fake-backend.js';
import { flushMicrotasks } from './testing/fake-clock.js';
import { createFakePlatform, type FakePlatformOptions } from './testing/fake-platform.js';

function setup(options: FakePlatformOptions = {}) {
  const fake = createFakePlatform(options);
  const media = new LocalMedia({ platform: fake.platform });
  const backend = new FakeBackend();
  return { ...fake, media, backend };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await flushMicrotasks();
  assert.ok(condition(), 'condition not reached');
}

describe('LocalMedia', () => {
  it('should capture a preview with one prompt and list devices', async () => {
    const h = setup();
    const stream = await h.media.start();
    assert.equal(h.mediaDevices.calls.length, 1);
    assert.deepEqual(
      stream?.getTracks().map((t) => t.kind),
      ['audio', 'video'],
    );
    assert.equal(h.media.state.previewStream, stream);
    assert.equal(h.media.devices.length, 4);
    assert.equal(h.mediaDevices.listenerCount, 1);
    h.media.stop();
    assert.equal(h.mediaDevices.liveTracks.length, 0);
    assert.equal(h.mediaDevices.listenerCount, 0);
  });

  it('should keep the microphone when only the camera fails', async () => {
    const h = setup({ devices: [{ deviceId: 'mic-1', kind: 'audioinput' }] });
    const error = await h.media.start().catch((e: unknown) => e);
    assert.ok(error instanceof MediaDeviceError);
    assert.equal(error.code, 'device-not-found');
    assert.equal(error.device, 'camera');
    assert.ok(h.media.audioTrack);
    assert.equal(h.media.state.videoEnabled, false);
    assert.equal(h.media.state.error?.code, 'device-not-found');
    h.media.stop();
  });

  it('should mute the microphone with track.enabled', async () => {
    const h = setup();
    await h.media.start();
    h.media.attach(h.backend);
    await h.media.setMicrophoneEnabled(false);
    assert.equal(h.media.audioTrack?.enabled, false);
    assert.equal(h.media.audioTrack?.readyState, 'live');
    assert.equal(h.backend.audioEnabled, false);
    assert.equal(h.media.state.audioEnabled, false);
    h.media.stop();
  });

  it('should stop the camera track when the camera is turned off and re-acquire it on', async () => {
    const h = setup();
    await h.media.start();
    h.media.attach(h.backend);
    const first = h.media.videoTrack;
    await h.media.setCameraEnabled(false);
    assert.equal(first?.readyState, 'ended', 'camera light goes off');
    assert.equal(h.media.videoTrack, undefined);
    assert.deepEqual(
      h.backend.callsOf('setVideoEnabled').map((c) => c.args[0]),
      [false],
    );
    await h.media.setCameraEnabled(true);
    const second = h.media.videoTrack;
    assert.ok(second);
    assert.notEqual(second, first);
    assert.equal((second as MediaStreamTrack).readyState, 'live');
    const replaced = h.backend.callsOf('replaceTrack').at(-1)?.args;
    assert.deepEqual(replaced, ['video', second]);
    assert.equal(h.media.state.previewStream?.getVideoTracks()[0], second);
    h.media.stop();
  });

  it('should switch devices mid-call with replaceTrack (no renegotiation)', async () => {
    const h = setup();
    await h.media.start();
    h.media.attach(h.backend);
    const old = h.media.audioTrack;
    await h.media.selectDevice('audioinput', 'mic-2');
    const fresh = h.media.audioTrack;
    assert.equal(old?.readyState, 'ended');
    assert.deepEqual(h.backend.callsOf('replaceTrack')[0]?.args, ['audio', fresh]);
    assert.equal(h.backend.callsOf('publish').length + h.backend.callsOf('unpublish').length, 0);
    assert.deepEqual(h.mediaDevices.calls.at(-1), { audio: { deviceId: { exact: 'mic-2' } } });
    assert.equal(h.media.state.audioDeviceId, 'mic-2');
    h.media.stop();
  });

  it('should keep the old track when switching to a device fails', async () => {
    const h = setup();
    await h.media.start();
    h.media.attach(h.backend);
    const old = h.media.videoTrack;
    h.mediaDevices.failNext('NotReadableError');
    const error = await h.media.selectDevice('videoinput', 'cam-1').catch((e: unknown) => e);
    assert.ok(error instanceof MediaDeviceError && error.code === 'device-in-use');
    assert.equal(h.media.videoTrack, old);
    assert.equal(old?.readyState, 'live');
    h.media.stop();
  });

  it('should fall back to the default device when the one in use disappears', async () => {
    const h = setup();
    await h.media.start();
    h.media.attach(h.backend);
    await h.media.selectDevice('audioinput', 'mic-2');
    const inUse = h.media.audioTrack;
    const changes: number[] = [];
    h.media.on('devicesChanged', ({ devices }) => changes.push(devices.length));
    h.mediaDevices.setDevices(h.mediaDevices.devices.filter((d) => d.deviceId !== 'mic-2'));
    await until(() => h.media.audioTrack !== inUse);
    assert.equal(inUse?.readyState, 'ended');
    assert.equal(h.media.state.audioDeviceId, undefined);
    assert.deepEqual(h.mediaDevices.calls.at(-1), { audio: true });
    assert.deepEqual(h.backend.callsOf('replaceTrack').at(-1)?.args, ['audio', h.media.audioTrack]);
    assert.deepEqual(changes, [3]);
    h.media.stop();
  });

  it('should share the screen and end it when the browser stops sharing', async () => {
    const h = setup();
    h.media.attach(h.backend);
    assert.equal(h.media.state.canScreenShare, true);
    await h.media.startScreenShare();
    assert.equal(h.media.state.screenSharing, true);
    assert.ok(h.backend.screenTrack);
    const track = h.mediaDevices.tracks.at(-1);
    track?.end();
    await until(() => !h.media.state.screenSharing);
    assert.equal(h.backend.callsOf('unpublishScreen').length, 1);
    h.media.stop();
  });

  const NO_SHARE: ReadonlyArray<[string, FakePlatformOptions]> = [
    ['on mobile', { isMobile: true }],
    ['without getDisplayMedia', { displayMedia: false }],
  ];
  for (const [label, options] of NO_SHARE) {
    it(`should not offer screen sharing ${label}`, async () => {
      const h = setup(options);
      assert.equal(h.media.state.canScreenShare, false);
      const error = await h.media.startScreenShare().catch((e: unknown) => e);
      assert.ok(error instanceof MediaDeviceError && error.code === 'unsupported-browser');
    });
  }

  it('should stop sending and receiving video in audio-only mode and restore the camera after', async () => {
    const h = setup();
    await h.media.start();
    h.media.attach(h.backend);
    const camera = h.media.videoTrack;
    await h.media.setAudioOnly(true);
    assert.equal(camera?.readyState, 'ended');
    assert.deepEqual([h.backend.videoEnabled, h.backend.receiveVideo], [false, false]);
    assert.deepEqual([h.media.state.audioOnly, h.media.state.videoEnabled], [true, false]);
    await h.media.setAudioOnly(false);
    assert.deepEqual([h.backend.videoEnabled, h.backend.receiveVideo], [true, true]);
    assert.equal(h.media.videoTrack?.readyState, 'live');
    h.media.stop();
  });

  it('should choose the audio output as state only, where supported', async () => {
    const h = setup();
    await h.media.selectAudioOutput('spk-1');
    assert.equal(h.media.state.audioOutputId, 'spk-1');
    const unsupported = setup({ canSelectAudioOutput: false });
    const error = await unsupported.media.selectAudioOutput('spk-1').catch((e: unknown) => e);
    assert.ok(error instanceof MediaDeviceError && error.code === 'unsupported-browser');
  });

  it('should report unsupported-browser without mediaDevices and insecure-context on http', async () => {
    const none = setup({ noMediaDevices: true });
    const e1 = await none.media.start().catch((e: unknown) => e);
    assert.ok(e1 instanceof MediaDeviceError && e1.code === 'unsupported-browser');
    const insecure = setup({ isSecureContext: false });
    const e2 = await insecure.media.start().catch((e: unknown) => e);
    assert.ok(e2 instanceof MediaDeviceError && e2.code === 'insecure-context');
  });
});
