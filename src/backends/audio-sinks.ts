/**
 * Muted audio sinks for received audio, used by both adapters. Chromium feeds a received WebRTC
 * audio track into Web Audio (`createMediaStreamSource`) only while a media element plays that
 * track; otherwise an analyser reads silence (measured in Chromium 156: analyser peak 0 without a
 * sink, ~1.0 with one, whether attached before or after the analyser). The adapters attach no
 * element of their own (the elements do, an SDK-only app may not), so level meters on
 * `Participant.stream` and openvidu-browser's speaking detection (hark) would read silence: one
 * muted, detached `<audio>` per presented stream keeps the audio flowing. It plays nothing.
 * @internal
 */
export class AudioSinks {
  private readonly sinks = new Map<string, HTMLMediaElement>();

  /** Plays the audio of `media` into a muted sink for `key` (replacing the previous one). */
  set(key: string, media: MediaStream): void {
    this.release(key);
    const AudioElement = (globalThis as { Audio?: new () => HTMLAudioElement }).Audio;
    if (!AudioElement || media.getAudioTracks().length === 0) return;
    const sink = new AudioElement();
    sink.muted = true;
    sink.srcObject = media;
    // Muted playback is always allowed by autoplay policies; a rejection only costs the levels
    // (and, on OpenVidu, the speaking events).
    sink.play().catch(() => undefined);
    this.sinks.set(key, sink);
  }

  release(key: string): void {
    const sink = this.sinks.get(key);
    if (!sink) return;
    this.sinks.delete(key);
    sink.pause();
    sink.srcObject = null;
  }

  clear(): void {
    for (const key of [...this.sinks.keys()]) this.release(key);
  }
}
