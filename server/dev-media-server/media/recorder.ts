/**
 * Recording: every recorded stream is captured to its own WebM (VP8/Opus, no transcoding) with werift's
 * MediaRecorder while the session runs. On stop:
 *  - COMPOSED → ffmpeg lays the video streams out in a grid over a black canvas (late joiners placed at
 *    their wall-clock offset), mixes the audio, encodes H.264 + AAC into `<name>.mp4` cut to the recorded
 *    wall-clock duration, and grabs `<name>.jpg`. Audio-only → Opus `<name>.webm`.
 *  - INDIVIDUAL → `<name>.zip` with the per-stream WebMs and the `<name>.json` index (spec §5.3).
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { MediaStreamTrack } from 'werift';
import { ZipFile } from 'yazl';
import { findFfmpeg, findFfprobe, probeDuration, run } from './ffmpeg.js';
import type {
  ActiveRecording,
  RecordingRequest,
  RecordingResult,
  RecordingStreamMetadata,
} from './types.js';
import { errorMessage } from '../../shared/errors.js';
import { SegmentWriter, waitWritten, weriftRecorderFactory } from './segment-writer.js';
import type { RecorderFactory } from './segment-writer.js';

export interface StreamTracks {
  /** Changes on every republish. */
  generation: number;
  audio: MediaStreamTrack | undefined;
  video: MediaStreamTrack | undefined;
}

export interface RecordableStream {
  readonly streamId: string;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  tracks(): StreamTracks;
  requestKeyframe(): void;
}

/** What the router offers the recorder: current publisher tracks and their lifecycle. */
export interface StreamRegistry {
  get(streamId: string): RecordableStream | undefined;
  /** `published` fires on publish and on every republish; `released` when the stream ends. */
  onChange(listener: (streamId: string, change: 'published' | 'released') => void): () => void;
  recorderStarted(): void;
  recorderStopped(): void;
}

export interface Recording extends ActiveRecording {
  /** Stops capture and deletes partial files without composing (router shutdown). */
  abort(): Promise<void>;
}

export interface RecorderOptions {
  /** Builds each segment's WebM writer; werift's MediaRecorder by default (tests inject a fake). */
  createRecorder?: RecorderFactory;
  /** A stopped writer that never reports its end of life is done once its file is unchanged this long. */
  writerQuietMs?: number;
  /** How long `stop()` waits after werift's stop for the writers' last appends before composing. */
  writtenTimeoutMs?: number;
  /** How much longer the parts folder is kept for writers still appending; then it is left in place. */
  partsRemovalTimeoutMs?: number;
}

interface Logger {
  debug(msg: string, data?: object): void;
  warn(msg: string, data?: object): void;
}

interface Segment {
  streamId: string;
  fileName: string;
  path: string;
  generation: number;
  writer: SegmentWriter;
  hasAudio: boolean;
  hasVideo: boolean;
  createdAt: number;
  /** Wall-clock ms of the first Opus packet / first VP8 keyframe packet (when the WebM's media really starts). */
  audioStartAt: number | undefined;
  videoStartAt: number | undefined;
  endedAt: number | undefined;
  unsubscribe: (() => void)[];
  stopping: Promise<void> | undefined;
}

interface Capture {
  streamId: string;
  metadata: RecordingStreamMetadata;
  segments: Segment[];
  current: Segment | undefined;
  active: boolean;
}

/**
 * werift MediaRecorder options. Measured on a 3.0 s capture of a live VP8/Opus stream:
 *  - defaults (NTP timing + lip sync): the audio ended at 1.7 s — lip sync drops the tail on stop;
 *  - lip sync off, NTP timing: 3.27 s (waits for the first RTCP SR, then replays the buffer);
 *  - lip sync off, RTP timing: 2.98 s, media starting within 70 ms of each other. ← used
 * Timing across streams comes from our own wall-clock marks (first packet / first keyframe), not from NTP.
 */
const RECORDER_OPTIONS = { width: 640, height: 480, disableLipSync: true, disableNtp: true };

/** VP8 RTP payload (RFC 7741): true when the packet starts a key frame. */
export function isVp8KeyframeStart(payload: Buffer): boolean {
  const first = payload[0];
  if (first === undefined) return false;
  const extended = (first & 0x80) !== 0;
  const startOfPartition = (first & 0x10) !== 0;
  const partitionId = first & 0x07;
  if (!startOfPartition || partitionId !== 0) return false;
  let offset = 1;
  if (extended) {
    const x = payload[1] ?? 0;
    offset = 2;
    if (x & 0x80) offset += (payload[offset] ?? 0) & 0x80 ? 2 : 1; // PictureID (7 or 15 bit)
    if (x & 0x40) offset += 1; // TL0PICIDX
    if (x & 0x30) offset += 1; // TID / KEYIDX
  }
  const header = payload[offset];
  return header !== undefined && (header & 0x01) === 0;
}

function parseResolution(resolution: string): { width: number; height: number } {
  const match = /^(\d{2,4})x(\d{2,4})$/.exec(resolution);
  if (!match) throw new Error(`invalid resolution "${resolution}" (expected WIDTHxHEIGHT)`);
  const even = (n: number): number => Math.max(2, n - (n % 2));
  return { width: even(Number(match[1])), height: even(Number(match[2])) };
}

function defaultConnectionId(streamId: string): string {
  const at = streamId.indexOf('con_');
  return at >= 0 ? streamId.slice(at) : streamId;
}

export async function startRecording(
  req: RecordingRequest,
  registry: StreamRegistry,
  logger: Logger,
  options: RecorderOptions = {},
): Promise<Recording> {
  if (!req.hasAudio && !req.hasVideo) throw new Error('recording needs hasAudio or hasVideo');
  const canvas = parseResolution(req.resolution);
  if (!(req.frameRate >= 1 && req.frameRate <= 120))
    throw new Error(`invalid frameRate ${req.frameRate}`);
  // COMPOSED cannot finish without ffmpeg: fail at start, not after minutes of recording.
  const ffmpeg = req.outputMode === 'COMPOSED' ? await findFfmpeg() : undefined;
  const partsDir = join(req.dir, `.parts-${req.recordingId.replace(/[^A-Za-z0-9_~-]/g, '_')}`);
  await mkdir(partsDir, { recursive: true });
  return new RecordingSession(req, registry, logger, canvas, partsDir, ffmpeg, {
    createRecorder: options.createRecorder ?? weriftRecorderFactory,
    writerQuietMs: options.writerQuietMs ?? 2_000,
    writtenTimeoutMs: options.writtenTimeoutMs ?? 30_000,
    partsRemovalTimeoutMs: options.partsRemovalTimeoutMs ?? 10 * 60_000,
  });
}

class RecordingSession implements Recording {
  private readonly startedAt = Date.now();
  private readonly captures = new Map<string, Capture>();
  private readonly unsubscribeRegistry: () => void;
  private finished: Promise<RecordingResult> | undefined;
  private stopped = false;

  constructor(
    private readonly req: RecordingRequest,
    private readonly registry: StreamRegistry,
    private readonly logger: Logger,
    private readonly canvas: { width: number; height: number },
    private readonly partsDir: string,
    private readonly ffmpeg: string | undefined,
    private readonly options: Required<RecorderOptions>,
  ) {
    this.unsubscribeRegistry = registry.onChange((streamId, change) =>
      this.onStreamChange(streamId, change),
    );
    for (const streamId of req.streamIds) this.addStream(streamId, req.streamMetadata?.[streamId]);
  }

  addStream(streamId: string, metadata?: RecordingStreamMetadata): void {
    if (this.stopped) return;
    let capture = this.captures.get(streamId);
    if (!capture) {
      capture = { streamId, metadata: {}, segments: [], current: undefined, active: true };
      this.captures.set(streamId, capture);
    }
    capture.metadata = {
      ...(this.req.streamMetadata?.[streamId] ?? {}),
      ...capture.metadata,
      ...(metadata ?? {}),
    };
    capture.active = true;
    if (!capture.current) this.startSegment(capture);
  }

  removeStream(streamId: string): void {
    const capture = this.captures.get(streamId);
    if (!capture) return;
    capture.active = false;
    this.endSegment(capture);
  }

  stop(): Promise<RecordingResult> {
    this.finished ??= this.finish();
    return this.finished;
  }

  async abort(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.unsubscribeRegistry();
      await this.endAll();
    }
    await this.removeParts(await this.waitWritten());
  }

  // -------------------------------------------------------------- capture

  private onStreamChange(streamId: string, change: 'published' | 'released'): void {
    const capture = this.captures.get(streamId);
    if (!capture || !capture.active || this.stopped) return;
    if (change === 'released') {
      this.endSegment(capture);
      return;
    }
    const generation = this.registry.get(streamId)?.tracks().generation;
    if (capture.current && capture.current.generation === generation) return;
    // Republish: OpenVidu starts `<streamId>-N.webm`.
    this.endSegment(capture);
    this.startSegment(capture);
  }

  private startSegment(capture: Capture): void {
    const stream = this.registry.get(capture.streamId);
    if (!stream) return; // not published (yet): the `published` event starts it
    const tracks = stream.tracks();
    const audio = this.req.hasAudio && stream.hasAudio ? tracks.audio : undefined;
    const video = this.req.hasVideo && stream.hasVideo ? tracks.video : undefined;
    const recorded = [video, audio].filter((t): t is MediaStreamTrack => t !== undefined);
    if (recorded.length === 0) return;
    const index = capture.segments.length;
    const fileName = index === 0 ? `${capture.streamId}.webm` : `${capture.streamId}-${index}.webm`;
    const path = join(this.partsDir, fileName);
    const writer = new SegmentWriter(
      this.options.createRecorder,
      { path, tracks: recorded, ...RECORDER_OPTIONS },
      this.options.writerQuietMs,
      (error) =>
        this.logger.warn('stream recorder failed', {
          streamId: capture.streamId,
          error: error.message,
        }),
    );
    const segment: Segment = {
      streamId: capture.streamId,
      fileName,
      path,
      generation: tracks.generation,
      writer,
      hasAudio: audio !== undefined,
      hasVideo: video !== undefined,
      createdAt: Date.now(),
      audioStartAt: undefined,
      videoStartAt: undefined,
      endedAt: undefined,
      unsubscribe: [],
      stopping: undefined,
    };
    if (audio) {
      const sub = audio.onReceiveRtp.subscribe(() => {
        segment.audioStartAt ??= Date.now();
        sub.unSubscribe();
      });
      segment.unsubscribe.push(sub.unSubscribe);
    }
    if (video) {
      const sub = video.onReceiveRtp.subscribe((rtp) => {
        if (!isVp8KeyframeStart(rtp.payload)) return;
        segment.videoStartAt ??= Date.now();
        sub.unSubscribe();
      });
      segment.unsubscribe.push(sub.unSubscribe);
      stream.requestKeyframe();
    }
    capture.segments.push(segment);
    capture.current = segment;
    this.registry.recorderStarted();
    this.logger.debug('stream recorder started', { streamId: capture.streamId, fileName });
  }

  private endSegment(capture: Capture): void {
    const segment = capture.current;
    if (!segment) return;
    capture.current = undefined;
    segment.endedAt = Date.now();
    for (const unsubscribe of segment.unsubscribe) unsubscribe();
    segment.stopping = segment.writer
      .stop()
      .catch((error: unknown) =>
        this.logger.warn('stream recorder stop failed', {
          streamId: segment.streamId,
          error: errorMessage(error),
        }),
      )
      .finally(() => this.registry.recorderStopped());
  }

  private async endAll(): Promise<void> {
    for (const capture of this.captures.values()) this.endSegment(capture);
    await Promise.all(
      [...this.captures.values()].flatMap((c) => c.segments.map((s) => s.stopping)),
    );
  }

  // -------------------------------------------------------------- finishing

  private async finish(): Promise<RecordingResult> {
    this.stopped = true;
    const stoppedAt = Date.now();
    this.unsubscribeRegistry();
    await this.endAll();
    const stillWriting = await this.waitWritten();
    const duration = (stoppedAt - this.startedAt) / 1000;
    try {
      const segments = await this.usableSegments();
      return this.req.outputMode === 'COMPOSED'
        ? await this.compose(segments, duration)
        : await this.zipIndividual(segments, duration, stoppedAt);
    } finally {
      if (!process.env.KEEP_PARTS) await this.removeParts(stillWriting);
    }
  }

  private writers(): SegmentWriter[] {
    return [...this.captures.values()].flatMap((c) => c.segments.map((s) => s.writer));
  }

  /**
   * werift's stop returns after at most 5 s even when its last appends are still queued (under load):
   * wait for them so the files are complete. Returns the writers that still had not finished.
   */
  private async waitWritten(): Promise<SegmentWriter[]> {
    const stillWriting = await waitWritten(this.writers(), this.options.writtenTimeoutMs);
    if (stillWriting.length > 0)
      this.logger.warn('stream recorders still writing; using their files as they are', {
        recordingId: this.req.recordingId,
        writers: stillWriting.length,
        waitedMs: this.options.writtenTimeoutMs,
      });
    return stillWriting;
  }

  /** Deletes the parts folder — only once no writer can append to it any more (else ENOENT floods). */
  private async removeParts(stillWriting: SegmentWriter[]): Promise<void> {
    const remove = (): Promise<void> =>
      rm(this.partsDir, { recursive: true, force: true }).catch((error: unknown) =>
        this.logger.warn('removing recording parts failed', { error: errorMessage(error) }),
      );
    if (stillWriting.length === 0) return remove();
    void waitWritten(stillWriting, this.options.partsRemovalTimeoutMs, false).then((left) => {
      if (left.length === 0) return remove();
      this.logger.warn('stream recorders never finished; leaving the recording parts in place', {
        recordingId: this.req.recordingId,
        writers: left.length,
      });
      return undefined;
    });
  }

  /** Segments whose WebM exists and got media; the flags say which kinds really started. */
  private async usableSegments(): Promise<(Segment & { size: number })[]> {
    const usable: (Segment & { size: number })[] = [];
    for (const capture of this.captures.values()) {
      for (const segment of capture.segments) {
        const size = await stat(segment.path).then(
          (s) => s.size,
          () => 0,
        );
        const hasMedia =
          (segment.hasAudio && segment.audioStartAt !== undefined) ||
          (segment.hasVideo && segment.videoStartAt !== undefined);
        if (size > 0 && hasMedia) usable.push({ ...segment, size });
        else
          this.logger.warn('stream recording has no media', {
            streamId: segment.streamId,
            fileName: segment.fileName,
          });
      }
    }
    return usable;
  }

  private async compose(
    segments: (Segment & { size: number })[],
    duration: number,
  ): Promise<RecordingResult> {
    const ffmpeg = this.ffmpeg ?? (await findFfmpeg());
    const { width, height } = this.canvas;
    const fps = this.req.frameRate;
    const withVideo = this.req.hasVideo
      ? segments.filter((s) => s.hasVideo && s.videoStartAt !== undefined)
      : [];
    const withAudio = this.req.hasAudio
      ? segments.filter((s) => s.hasAudio && s.audioStartAt !== undefined)
      : [];
    const inputs = [...new Set([...withVideo, ...withAudio])];
    const offset = (at: number): number => Math.max(0, (at - this.startedAt) / 1000);

    const args = ['-hide_banner', '-y', '-loglevel', 'error'];
    for (const segment of inputs) args.push('-i', segment.path);
    const filters: string[] = [];

    let videoOut: string | undefined;
    if (this.req.hasVideo) {
      const cols = Math.max(1, Math.ceil(Math.sqrt(withVideo.length)));
      const rows = Math.max(1, Math.ceil(withVideo.length / cols));
      const tileW = Math.floor(width / cols / 2) * 2;
      const tileH = Math.floor(height / rows / 2) * 2;
      filters.push(
        `color=c=black:s=${width}x${height}:r=${fps}:d=${duration.toFixed(3)},format=yuv420p[bg0]`,
      );
      withVideo.forEach((segment, i) => {
        const input = inputs.indexOf(segment);
        const at = offset(segment.videoStartAt ?? segment.createdAt).toFixed(3);
        filters.push(
          `[${input}:v]setpts=PTS-STARTPTS+${at}/TB,scale=${tileW}:${tileH}:force_original_aspect_ratio=decrease,` +
            `pad=${tileW}:${tileH}:(ow-iw)/2:(oh-ih)/2:black,setsar=1,format=yuv420p[tile${i}]`,
        );
        const x = (i % cols) * tileW + Math.floor((width - cols * tileW) / 2);
        const y = Math.floor(i / cols) * tileH + Math.floor((height - rows * tileH) / 2);
        filters.push(
          `[bg${i}][tile${i}]overlay=x=${x}:y=${y}:eof_action=pass:repeatlast=1[bg${i + 1}]`,
        );
      });
      videoOut = `bg${withVideo.length}`;
    }

    let audioOut: string | undefined;
    if (this.req.hasAudio) {
      if (withAudio.length === 0) {
        filters.push(`anullsrc=r=48000:cl=stereo,atrim=0:${duration.toFixed(3)}[aout]`);
      } else {
        withAudio.forEach((segment, i) => {
          const input = inputs.indexOf(segment);
          const delayMs = Math.round(offset(segment.audioStartAt ?? segment.createdAt) * 1000);
          filters.push(
            `[${input}:a]asetpts=PTS-STARTPTS,aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,` +
              `adelay=${delayMs}|${delayMs}[a${i}]`,
          );
        });
        const labels = withAudio.map((_, i) => `[a${i}]`).join('');
        filters.push(
          withAudio.length === 1
            ? `${labels}apad[aout]`
            : `${labels}amix=inputs=${withAudio.length}:duration=longest:dropout_transition=0,apad[aout]`,
        );
      }
      // AAC takes 1024-sample frames; amix/apad emit larger ones ("more samples than frame size").
      filters.push('[aout]asetnsamples=n=1024:p=0[aenc]');
      audioOut = 'aenc';
    }

    args.push('-filter_complex', filters.join(';'));
    const fileName = `${this.req.name}.${videoOut ? 'mp4' : 'webm'}`;
    const output = join(this.req.dir, fileName);
    if (videoOut) {
      args.push(
        '-map',
        `[${videoOut}]`,
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        '23',
        '-pix_fmt',
        'yuv420p',
      );
      args.push('-r', String(fps));
    }
    if (audioOut) {
      args.push('-map', `[${audioOut}]`);
      args.push(
        ...(videoOut ? ['-c:a', 'aac', '-b:a', '128k'] : ['-c:a', 'libopus', '-b:a', '96k']),
      );
    }
    args.push('-t', duration.toFixed(3));
    if (videoOut) args.push('-movflags', '+faststart');
    args.push(output);

    const started = Date.now();
    await run(ffmpeg, args, 10_000 + duration * 10_000).catch((error: unknown) => {
      throw new Error(
        `COMPOSED recording ${this.req.recordingId}: ffmpeg composition failed: ${errorMessage(error)}`,
      );
    });
    this.logger.debug('composed recording', {
      recordingId: this.req.recordingId,
      ms: Date.now() - started,
      inputs: inputs.length,
    });

    if (videoOut) {
      const thumbAt = Math.max(0, Math.min(duration / 2, duration - 0.2));
      await run(
        ffmpeg,
        [
          '-hide_banner',
          '-y',
          '-loglevel',
          'error',
          '-ss',
          thumbAt.toFixed(3),
          '-i',
          output,
          '-frames:v',
          '1',
          '-q:v',
          '4',
          join(this.req.dir, `${this.req.name}.jpg`),
        ],
        30_000,
      ).catch((error: unknown) =>
        this.logger.warn('thumbnail failed', {
          error: errorMessage(error),
        }),
      );
    }

    const size = (await stat(output)).size;
    const ffprobe = await findFfprobe(ffmpeg);
    const probed = ffprobe ? await probeDuration(ffprobe, output) : undefined;
    return { size, duration: probed ?? duration, fileName };
  }

  private async zipIndividual(
    segments: (Segment & { size: number })[],
    duration: number,
    stoppedAt: number,
  ): Promise<RecordingResult> {
    const fileName = `${this.req.name}.zip`;
    const output = join(this.req.dir, fileName);
    const files = segments.map((segment) => {
      const capture = this.captures.get(segment.streamId);
      const metadata = capture?.metadata ?? {};
      const starts = [
        segment.hasVideo ? segment.videoStartAt : undefined,
        segment.hasAudio ? segment.audioStartAt : undefined,
      ].filter((t): t is number => t !== undefined);
      const startAt = starts.length > 0 ? Math.min(...starts) : segment.createdAt;
      return {
        name: segment.fileName,
        connectionId: metadata.connectionId ?? defaultConnectionId(segment.streamId),
        streamId: segment.streamId,
        size: segment.size,
        clientData: metadata.clientData ?? '',
        serverData: metadata.serverData ?? '',
        hasAudio: segment.hasAudio && segment.audioStartAt !== undefined,
        hasVideo: segment.hasVideo && segment.videoStartAt !== undefined,
        ...(segment.hasVideo ? { typeOfVideo: metadata.typeOfVideo ?? 'CAMERA' } : {}),
        startTimeOffset: Math.max(0, startAt - this.startedAt),
        endTimeOffset: Math.max(0, (segment.endedAt ?? stoppedAt) - this.startedAt),
      };
    });
    const index = {
      createdAt: this.startedAt,
      id: this.req.recordingId,
      name: this.req.name,
      sessionId: this.req.sessionId ?? this.req.recordingId.split('~')[0],
      files,
    };
    const zip = new ZipFile();
    for (const segment of segments)
      zip.addFile(segment.path, segment.fileName, { compress: false });
    zip.addBuffer(Buffer.from(JSON.stringify(index)), `${this.req.name}.json`, { compress: true });
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(output);
      out.on('close', () => resolve());
      out.on('error', reject);
      zip.outputStream.on('error', reject);
      zip.outputStream.pipe(out);
      zip.end();
    }).catch((error: unknown) => {
      throw new Error(
        `INDIVIDUAL recording ${this.req.recordingId}: writing ${fileName} failed: ${errorMessage(error)}`,
      );
    });
    const size = (await stat(output)).size;
    return { size, duration, fileName };
  }
}
