/**
 * One stream segment's WebM writer, and how the recorder knows the file is complete.
 *
 * werift's MediaRecorder `stop()` waits at most 5 s for the writer's end of life and then returns while
 * the queued file appends may still be pending (seen under load). Composing from, or deleting, the file
 * at that point loses its tail and makes the late appends fail with ENOENT (unhandled rejections). So
 * the recorder waits for `written`: werift's public `stream` event replays every output after it was
 * saved to the file, in order, and the last one carries `eol` (duration and size patched in).
 * Some writers never reach their end of life (measured: the COMPOSED router test, a stream whose chain
 * never forwards the stop); werift's stop then returns after its 5 s with nothing queued. So a stopped
 * writer without `eol` also counts as written once its file has not grown for `quietMs`.
 */
import { stat } from 'node:fs/promises';
import { Event } from 'werift';
import type { MediaStreamTrack } from 'werift';
import { MediaRecorder } from 'werift/nonstandard';
import type { WebmOutput } from 'werift/nonstandard';

/** What the recorder passes to a recorder factory (a subset of werift's MediaRecorder props). */
export interface SegmentRecorderProps {
  path: string;
  tracks: MediaStreamTrack[];
  width: number;
  height: number;
  disableLipSync: boolean;
  disableNtp: boolean;
  /** Executed with each output once it is in the file; the last one has `eol`. */
  stream: Event<[WebmOutput]>;
}

/** The part of werift's MediaRecorder the recorder uses. */
export interface SegmentRecorder {
  stop(): Promise<void>;
  readonly onError: { subscribe(listener: (error: Error) => void): unknown };
}

export type RecorderFactory = (props: SegmentRecorderProps) => SegmentRecorder;

export const weriftRecorderFactory: RecorderFactory = (props) => new MediaRecorder(props);

export class SegmentWriter {
  private readonly recorder: SegmentRecorder;
  private markWritten: () => void = () => undefined;
  private done = false;
  /** Resolves once nothing more will be written to the file (end of life saved, or the writer failed). */
  readonly written: Promise<void>;

  constructor(
    factory: RecorderFactory,
    private readonly props: Omit<SegmentRecorderProps, 'stream'>,
    private readonly quietMs: number,
    onError: (error: Error) => void,
  ) {
    this.written = new Promise<void>((resolve) => {
      this.markWritten = () => {
        this.done = true;
        resolve();
      };
    });
    const stream = new Event<[WebmOutput]>();
    stream.subscribe((output) => {
      if (output.eol) this.markWritten();
    });
    this.recorder = factory({ ...props, stream });
    this.recorder.onError.subscribe((error) => {
      // werift reports only a failed start here: its writer never got a file to append to.
      this.markWritten();
      onError(error);
    });
  }

  get isWritten(): boolean {
    return this.done;
  }

  /** werift's stop: may return before the last appends landed — wait for `written` after it. */
  async stop(): Promise<void> {
    try {
      await this.recorder.stop();
    } finally {
      void this.watchQuiet();
    }
  }

  /** After stop: done once the file size stays the same for `quietMs` (checked 4× per window). */
  private async watchQuiet(): Promise<void> {
    const sizeNow = (): Promise<number> =>
      stat(this.props.path).then(
        (s) => s.size,
        () => -1,
      );
    let size = await sizeNow();
    let since = Date.now();
    while (!this.done) {
      await new Promise((resolve) => setTimeout(resolve, this.quietMs / 4).unref());
      const next = await sizeNow();
      if (next !== size) {
        size = next;
        since = Date.now();
      } else if (Date.now() - since >= this.quietMs) this.markWritten();
    }
  }
}

/**
 * Waits until every writer is done, at most `timeoutMs`; returns the writers still writing. With
 * `keepAlive` the wait holds the process open (the writers' own polling does not).
 */
export async function waitWritten(
  writers: SegmentWriter[],
  timeoutMs: number,
  keepAlive = true,
): Promise<SegmentWriter[]> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(writers.map((w) => w.written)),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      if (!keepAlive) timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return writers.filter((w) => !w.isWritten);
}
