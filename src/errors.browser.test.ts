// Real capture failures in Chromium and Firefox (fake devices; Chromium has two cameras: see
// web-test-runner.config.mjs), translated by translateMediaError.
import { assert } from '@open-wc/testing';
import { ConsultError, MediaDeviceError, translateMediaError } from './errors.js';

declare const describe: (name: string, body: () => void) => void;
type TestFn = (name: string, body: () => Promise<void> | void) => void;
declare const it: TestFn & { skip: TestFn };
declare const afterEach: (body: () => void) => void;

/** Firefox ESR runs this file too; its one fake camera is named differently (docs/contributing.md#browsers). */
const IS_FIREFOX = navigator.userAgent.includes('Firefox/');
/** The fake cameras: Chromium's two (device-count=2 in web-test-runner.config.mjs), Firefox's one. */
const FAKE_CAMERAS = IS_FIREFOX ? ['Default Video Device'] : ['fake_device_0', 'fake_device_1'];
/** A test that needs Chromium's second fake camera (or another Chromium-only fake). */
const chromiumOnly = IS_FIREFOX ? it.skip : it;

const captured: MediaStream[] = [];
async function capture(constraints: MediaStreamConstraints): Promise<MediaStream> {
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  captured.push(stream);
  return stream;
}
async function captureError(constraints: MediaStreamConstraints): Promise<unknown> {
  try {
    await capture(constraints);
  } catch (error) {
    return error;
  }
  throw new Error(`getUserMedia(${JSON.stringify(constraints)}) unexpectedly succeeded`);
}

describe('media errors in a real browser', () => {
  afterEach(() => {
    for (const stream of captured.splice(0)) for (const track of stream.getTracks()) track.stop();
  });

  it('captures live fake tracks', async () => {
    const stream = await capture({ audio: true, video: true });
    const [video] = stream.getVideoTracks();
    const [audio] = stream.getAudioTracks();
    assert.equal(video?.readyState, 'live');
    assert.equal(video?.label, FAKE_CAMERAS[0]);
    assert.equal(audio?.readyState, 'live');
  });

  it('lists the fake devices with labels once permission is granted', async () => {
    await capture({ audio: true, video: true });
    const devices = await navigator.mediaDevices.enumerateDevices();
    const cameras = devices.filter((d) => d.kind === 'videoinput');
    const microphones = devices.filter((d) => d.kind === 'audioinput');
    assert.includeMembers(
      cameras.map((d) => d.label),
      FAKE_CAMERAS,
    );
    assert.isAbove(microphones.length, 0);
    assert.isTrue(devices.every((d) => d.deviceId.length > 0));
  });

  chromiumOnly('captures a chosen camera by device id', async () => {
    await capture({ video: true });
    const second = (await navigator.mediaDevices.enumerateDevices()).find(
      (d) => d.label === 'fake_device_1',
    );
    assert.exists(second, 'second fake camera');
    const stream = await capture({ video: { deviceId: { exact: second?.deviceId ?? '' } } });
    assert.equal(stream.getVideoTracks()[0]?.label, 'fake_device_1');
  });

  it('translates an unknown device id into a device error', async () => {
    const error = await captureError({ video: { deviceId: { exact: 'nope' } } });
    const translated = translateMediaError(error, 'camera');
    assert.instanceOf(translated, MediaDeviceError);
    assert.instanceOf(translated, ConsultError);
    assert.include(['overconstrained', 'device-not-found'], translated.code);
    assert.equal(translated.device, 'camera');
    assert.equal(translated.messageKey, `error.${translated.code}`);
    assert.strictEqual(translated.cause, error);
  });

  it('translates an impossible resolution into overconstrained', async () => {
    const error = await captureError({ video: { width: { exact: 99_999 } } });
    assert.equal((error as { name?: string }).name, 'OverconstrainedError');
    const translated = translateMediaError(error, 'camera');
    assert.equal(translated.code, 'overconstrained');
    assert.equal(translated.reason, 'overconstrained');
    assert.isFalse(translated.recoverable);
  });

  it('translates a rejected empty request into unsupported-browser', async () => {
    // getUserMedia({}) rejects with a TypeError: nothing was requested.
    const error = await captureError({});
    assert.equal((error as { name?: string }).name, 'TypeError');
    assert.equal(translateMediaError(error, 'camera-and-microphone').code, 'unsupported-browser');
  });

  it('reports an insecure context regardless of the browser error', async () => {
    const error = await captureError({ video: { deviceId: { exact: 'nope' } } });
    const translated = translateMediaError(error, 'microphone', false);
    assert.equal(translated.code, 'insecure-context');
    assert.equal(translated.device, 'microphone');
  });
});
