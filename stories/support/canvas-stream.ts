/**
 * Generated media for stories: a coloured canvas with the participant's name (`captureStream()`)
 * and an audio track, so tiles and the preview show real, playing `<video>` elements without a
 * camera. `components/test-utils/fake-streams.ts` makes an unlabelled stream with an audible tone;
 * stories need a visible name per tile and silence for remote people, hence this variant.
 * @packageDocumentation
 */
import type { CreateFakeStream, FakeStreamPurpose } from '../../src/testing/index.js';

const PALETTE = ['#1e5aa8', '#7a2bd1', '#146c5a', '#a83a1e', '#5a6b1e', '#8a1e5a', '#1e7a8a'];

/** What a generated stream needs from the story. */
export interface CanvasStreamOptions {
  /** The text drawn on the canvas (the participant's name). */
  label: string;
  /** Stable seed for the colour, e.g. the participant id. */
  seed: string;
  /** Adds an audio track; `tone` is a very quiet oscillator (for the pre-join meter), `silent` is silence. */
  audio?: 'tone' | 'silent' | false;
  /** Adds the video track (default true). */
  video?: boolean;
  /** Draws a screen-share slide instead of a face. */
  screen?: boolean;
  /**
   * Draws mirror-inverted: the room shows the self-view mirrored (like a mirror), so the local
   * label is drawn reversed to read correctly there.
   */
  mirrored?: boolean;
}

/** Everything a story created, so it can be stopped when the story goes away. */
export class StreamRegistry {
  private readonly timers = new Set<ReturnType<typeof setInterval>>();
  private readonly tracks = new Set<MediaStreamTrack>();
  private audioContext: AudioContext | undefined;

  /** A canvas (and audio) stream labelled with `options.label`. */
  create(options: CanvasStreamOptions): MediaStream {
    const stream = new MediaStream();
    if (options.video !== false) {
      for (const track of this.canvasTrack(options)) stream.addTrack(track);
    }
    if (options.audio) {
      const track = this.audioTrack(options.audio);
      if (track) stream.addTrack(track);
    }
    for (const track of stream.getTracks()) this.tracks.add(track);
    return stream;
  }

  /**
   * A `createStream` for FakeSession: names come from `names` (participant id → display name);
   * the local stream carries a quiet tone so the microphone meter moves.
   */
  factory(names: ReadonlyMap<string, string>, kinds: { video: boolean }): CreateFakeStream {
    return (purpose: FakeStreamPurpose, participantId: string) =>
      this.create({
        label:
          purpose === 'screen'
            ? `${names.get(participantId) ?? participantId} · screen`
            : (names.get(participantId) ?? (purpose === 'local' ? 'You' : participantId)),
        seed: participantId,
        audio: purpose === 'local' ? 'tone' : purpose === 'camera' ? 'silent' : false,
        video: kinds.video || purpose === 'screen',
        screen: purpose === 'screen',
        mirrored: purpose === 'local',
      });
  }

  /** Stops every track and timer and closes the audio context. */
  dispose(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    for (const track of this.tracks) track.stop();
    this.tracks.clear();
    void this.audioContext?.close().catch(() => undefined);
    this.audioContext = undefined;
  }

  private canvasTrack(options: CanvasStreamOptions): MediaStreamTrack[] {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const context = canvas.getContext('2d');
    if (!context) return [];
    const { width, height } = canvas;
    const colour = PALETTE[hash(options.seed) % PALETTE.length] ?? '#1e5aa8';
    const initials = options.label
      .split(/\s+/)
      .filter((w) => /^\p{L}/u.test(w))
      .slice(0, 2)
      .map((w) => w[0]?.toUpperCase() ?? '')
      .join('');
    // Tiles crop the frame (object-fit: cover), so everything stays in the middle half.
    const fit = (text: string, size: number, maxWidth: number): void => {
      let px = size;
      do context.font = `600 ${px}px system-ui, sans-serif`;
      while (context.measureText(text).width > maxWidth && --px > 9);
    };
    let frame = 0;
    const draw = (): void => {
      context.setTransform(options.mirrored ? -1 : 1, 0, 0, 1, options.mirrored ? width : 0, 0);
      context.fillStyle = options.screen ? '#f4f4f0' : colour;
      context.fillRect(0, 0, width, height);
      context.textAlign = 'center';
      context.textBaseline = 'middle';
      if (options.screen) {
        context.fillStyle = '#1b1e24';
        fit(options.label, 20, width - 40);
        context.fillText(options.label, width / 2, height / 2);
      } else {
        context.fillStyle = 'rgba(255, 255, 255, 0.22)';
        context.beginPath();
        context.arc(width / 2, height / 2 - 18, 44, 0, Math.PI * 2);
        context.fill();
        context.fillStyle = '#ffffff';
        fit(initials, 40, 80);
        context.fillText(initials, width / 2, height / 2 - 18);
        fit(options.label, 16, width * 0.42);
        context.fillText(options.label, width / 2, height / 2 + 46);
      }
      // A small moving dot keeps frames coming, as a real camera would.
      const x = width / 4 + ((frame * 6) % (width / 2));
      context.beginPath();
      context.arc(x, height - 40, 3, 0, Math.PI * 2);
      context.fill();
      frame += 1;
    };
    draw();
    this.timers.add(setInterval(draw, 250));
    return canvas.captureStream(4).getVideoTracks();
  }

  private audioTrack(kind: 'tone' | 'silent'): MediaStreamTrack | undefined {
    const AudioContextCtor = globalThis.AudioContext as typeof AudioContext | undefined;
    if (!AudioContextCtor) return undefined;
    this.audioContext ??= new AudioContextCtor();
    const destination = this.audioContext.createMediaStreamDestination();
    if (kind === 'tone') {
      const oscillator = this.audioContext.createOscillator();
      const gain = this.audioContext.createGain();
      gain.gain.value = 0.02;
      oscillator.connect(gain).connect(destination);
      oscillator.start();
    }
    return destination.stream.getAudioTracks()[0];
  }
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h;
}
