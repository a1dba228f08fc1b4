/**
 * `MicLevelController`: drives a `<meter>` from a stream's audio level.
 * @packageDocumentation
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Measures the peak level of a stream's audio with Web Audio and writes it straight to a
 * `<meter>` every animation frame, so a 60 Hz level never re-renders the host. Call `sync()` after
 * each update (`updated`); it starts, keeps or stops the analysis as the stream and meter change.
 * @internal
 */
export class MicLevelController implements ReactiveController {
  private audio: { context: AudioContext; stream: MediaStream; frame: number } | undefined;
  private meter: HTMLMeterElement | null = null;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** True while a stream is being measured. */
  get running(): boolean {
    return this.audio !== undefined;
  }

  /** Measures `stream` into `meter`; stops when either is missing or the stream has no audio. */
  sync(stream: MediaStream | undefined, meter: HTMLMeterElement | null): void {
    this.meter = meter;
    const hasAudio = (stream?.getAudioTracks().length ?? 0) > 0;
    if (!stream || !hasAudio || !meter) {
      this.stop();
      return;
    }
    if (this.audio?.stream === stream) return;
    this.stop();
    const AudioContextCtor = globalThis.AudioContext as typeof AudioContext | undefined;
    if (!AudioContextCtor) return;
    try {
      const context = new AudioContextCtor();
      const analyser = context.createAnalyser();
      analyser.fftSize = 512;
      context.createMediaStreamSource(stream).connect(analyser);
      const data = new Uint8Array(analyser.fftSize);
      const tick = (): void => {
        analyser.getByteTimeDomainData(data);
        let peak = 0;
        for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
        if (this.meter) this.meter.value = Math.min(1, peak / 64);
        if (this.audio) this.audio.frame = requestAnimationFrame(tick);
      };
      this.audio = { context, stream, frame: requestAnimationFrame(tick) };
    } catch {
      // No Web Audio (or the stream has no live audio): the meter stays at zero.
    }
  }

  /** Stops measuring and closes the audio context. */
  stop(): void {
    if (!this.audio) return;
    cancelAnimationFrame(this.audio.frame);
    void this.audio.context.close().catch(() => undefined);
    this.audio = undefined;
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.stop();
  }
}
