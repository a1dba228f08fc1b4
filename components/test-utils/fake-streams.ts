/**
 * Real MediaStreams for element tests: a canvas video track and a quiet oscillator audio track, so
 * `<video>` elements play and the microphone meter has something to analyse.
 * @packageDocumentation
 */
import type { CreateFakeStream } from '../../src/testing/index.js';

let audioContext: AudioContext | undefined;

/** A stream with the requested tracks. */
export function createTestStream(kinds: { video?: boolean; audio?: boolean } = {}): MediaStream {
  const { video = true, audio = true } = kinds;
  const stream = new MediaStream();
  if (video) {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 48;
    const context = canvas.getContext('2d');
    if (context) {
      context.fillStyle = '#3a7';
      context.fillRect(0, 0, 64, 48);
    }
    for (const track of canvas.captureStream(5).getVideoTracks()) stream.addTrack(track);
  }
  if (audio) {
    audioContext ??= new AudioContext();
    const oscillator = audioContext.createOscillator();
    const gain = audioContext.createGain();
    gain.gain.value = 0.01;
    const destination = audioContext.createMediaStreamDestination();
    oscillator.connect(gain).connect(destination);
    oscillator.start();
    for (const track of destination.stream.getAudioTracks()) stream.addTrack(track);
  }
  return stream;
}

/** A `createStream` option for FakeSession: every participant gets camera and microphone. */
export const createStream: CreateFakeStream = () => createTestStream();
