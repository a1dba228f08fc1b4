/**
 * The recorder against a writer that behaves like werift's under load: `stop()` returns before the
 * last appends landed. The recording must not be built from, nor its parts folder deleted under, a
 * file that is still being written.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { Event, MediaStreamTrack, RtpHeader, RtpPacket } from 'werift';
import { startRecording } from './recorder.js';
import type { StreamRegistry } from './recorder.js';
import type { RecorderFactory } from './segment-writer.js';
import { readZip, waitFor } from './test-support.js';
import type { RecordingRequest } from './types.js';

const HEADER = Buffer.alloc(100, 1);
const CHUNK = Buffer.alloc(1_000, 2);
const TAIL_CHUNKS = 8;
const FULL_SIZE = HEADER.length + TAIL_CHUNKS * CHUNK.length;
const STREAM_ID = 'str_MIC_AAAA_con_A';

/**
 * Writes the header at start; on stop, returns at once and appends the tail chunks later, one every
 * `chunkDelayMs`, then reports the end of life through `stream` as werift does after its last save.
 * Append failures (ENOENT when the folder is gone) are collected in `errors`; each writer's tail in `tails`.
 */
function lateTailRecorder(
  errors: unknown[],
  tails: Promise<void>[],
  chunkDelayMs: number,
  reportEol = true,
): RecorderFactory {
  return (props) => {
    const started = appendFile(props.path, HEADER).catch((error: unknown) => errors.push(error));
    return {
      onError: new Event<[Error]>(),
      async stop() {
        await started;
        const tail = (async () => {
          for (let i = 0; i < TAIL_CHUNKS; i++) {
            await delay(chunkDelayMs);
            await appendFile(props.path, CHUNK).catch((error: unknown) => errors.push(error));
          }
          if (!reportEol) return;
          props.stream.execute({
            eol: { duration: 0, durationElement: new Uint8Array(), header: Buffer.alloc(0) },
          });
        })();
        tails.push(tail);
      },
    };
  };
}

function oneAudioStream(track: MediaStreamTrack): StreamRegistry {
  return {
    get: (streamId) =>
      streamId === STREAM_ID
        ? {
            streamId,
            hasAudio: true,
            hasVideo: false,
            tracks: () => ({ generation: 1, audio: track, video: undefined }),
            requestKeyframe: () => undefined,
          }
        : undefined,
    onChange: () => () => undefined,
    recorderStarted: () => undefined,
    recorderStopped: () => undefined,
  };
}

void describe('recorder: werift stop() returning before the last appends', () => {
  let root: string;
  let dir: string;
  let errors: unknown[];
  let tails: Promise<void>[];
  let warnings: string[];
  let track: MediaStreamTrack;
  const logger = {
    debug: () => undefined,
    warn: (msg: string) => warnings.push(msg),
  };
  const request = (): RecordingRequest => ({
    recordingId: 'ses_LATE',
    dir,
    name: 'late',
    outputMode: 'INDIVIDUAL',
    hasAudio: true,
    hasVideo: false,
    resolution: '640x480',
    frameRate: 25,
    streamIds: [STREAM_ID],
  });
  const firstPacket = (): void =>
    track.onReceiveRtp.execute(new RtpPacket(new RtpHeader(), Buffer.alloc(10)));

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ck-recorder-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(root, 'rec-'));
    errors = [];
    tails = [];
    warnings = [];
    track = new MediaStreamTrack({ kind: 'audio' });
  });
  afterEach(async () => {
    await Promise.all(tails);
    assert.deepEqual(errors, [], 'no append failed (ENOENT after the parts folder was removed)');
  });

  void it('stop() waits for the writer to finish: complete file, parts removed afterwards', async () => {
    const recording = await startRecording(request(), oneAudioStream(track), logger, {
      createRecorder: lateTailRecorder(errors, tails, 30),
    });
    firstPacket();
    const result = await recording.stop();
    const entries = readZip(await readFile(join(dir, result.fileName)));
    assert.equal(entries.get(`${STREAM_ID}.webm`)?.length, FULL_SIZE, 'the tail is in the zip');
    const index = JSON.parse(entries.get('late.json')?.toString() ?? '{}') as {
      files: { size: number }[];
    };
    assert.equal(index.files[0]?.size, FULL_SIZE);
    assert.deepEqual(await readdir(dir), ['late.zip'], 'parts folder removed');
    assert.deepEqual(warnings, []);
  });

  void it('past the cap: warns, builds from what is there, removes the parts only once written', async () => {
    const recording = await startRecording(request(), oneAudioStream(track), logger, {
      createRecorder: lateTailRecorder(errors, tails, 100),
      writtenTimeoutMs: 150,
    });
    firstPacket();
    await recording.stop();
    assert.deepEqual(warnings, ['stream recorders still writing; using their files as they are']);
    assert.equal((await readdir(dir)).length, 2, 'parts folder kept while the writer appends');
    await waitFor(
      'parts folder removed after the last append',
      async () => (await readdir(dir)).length === 1,
      5_000,
    );
    assert.deepEqual(await readdir(dir), ['late.zip']);
  });

  void it('a writer that never reports its end of life is done once its file stops growing', async () => {
    const recording = await startRecording(request(), oneAudioStream(track), logger, {
      createRecorder: lateTailRecorder(errors, tails, 30, false),
      writerQuietMs: 400,
    });
    firstPacket();
    const result = await recording.stop();
    const entries = readZip(await readFile(join(dir, result.fileName)));
    assert.equal(entries.get(`${STREAM_ID}.webm`)?.length, FULL_SIZE, 'the tail is in the zip');
    assert.deepEqual(await readdir(dir), ['late.zip'], 'parts folder removed');
    assert.deepEqual(warnings, []);
  });

  void it('abort() removes the parts only once the writer finished', async () => {
    const recording = await startRecording(request(), oneAudioStream(track), logger, {
      createRecorder: lateTailRecorder(errors, tails, 30),
    });
    firstPacket();
    await recording.abort();
    assert.deepEqual(await readdir(dir), [], 'parts folder removed');
  });
});
