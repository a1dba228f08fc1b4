/**
 * `livekit.Egress`: room-composite egresses to one MP4 through the rooms' recorder
 * ({@link LiveKitRooms.recordRoom}). An egress goes STARTING → ACTIVE → ENDING → COMPLETE (or
 * FAILED with its error), reports each step as LiveKit's egress webhooks, and keeps its
 * `EgressInfo` (times in ns, as LiveKit) for ListEgress after it ends.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import {
  EgressInfo,
  EgressSourceType,
  EgressStatus,
  EncodedFileType,
  FileInfo,
  ListEgressRequest,
  ListEgressResponse,
  ParticipantEgressRequest,
  RoomCompositeEgressRequest,
  StopEgressRequest,
  TrackCompositeEgressRequest,
  TrackEgressRequest,
  UpdateLayoutRequest,
  UpdateStreamRequest,
  WebEgressRequest,
  type EncodedFileOutput,
} from '@livekit/protocol';
import type { ActiveRecording } from '../media/types.js';
import { randomAlnum } from '../ids.js';
import type { Logger } from '../logger.js';
import type { LiveKitRooms } from './contract.js';
import { EGRESS_FILES_PREFIX, egressFilePath, insideRoot } from './egress-files.js';
import {
  checkEgressId,
  checkName,
  method,
  requireRecord,
  TwirpError,
  type TwirpMethod,
} from './twirp.js';

export type EgressEventName = 'egress_started' | 'egress_updated' | 'egress_ended';

export interface LiveKitEgressOptions {
  rooms: LiveKitRooms;
  recordingsDir: string;
  /** Each status change, as the egress webhook it becomes. */
  onEvent: (event: EgressEventName, info: EgressInfo) => void;
  logger: Logger;
  /** Clock in ms. */
  now: () => number;
  /** Ended egresses kept for ListEgress (default 1000; the oldest are forgotten). */
  maxKept?: number;
}

interface Entry {
  info: EgressInfo;
  /** Relative path of the file being written. */
  relative: string;
  recording?: ActiveRecording;
  stopRequested: boolean;
  /** Wakes the running egress when StopEgress comes. */
  onStop?: () => void;
  /** Settles when the egress has ended (COMPLETE or FAILED). */
  done?: Flagged;
}

const LIVE = new Set([EgressStatus.EGRESS_STARTING, EgressStatus.EGRESS_ACTIVE]);

/** The file output of a room-composite request: `fileOutputs[0]` or the legacy `file`. */
function fileOutputOf(req: RoomCompositeEgressRequest): EncodedFileOutput {
  if (
    req.streamOutputs.length > 0 ||
    req.segmentOutputs.length > 0 ||
    req.imageOutputs.length > 0 ||
    (req.output.case !== undefined && req.output.case !== 'file')
  )
    throw new TwirpError('invalid_argument', 'only file outputs are supported');
  if (req.fileOutputs.length > 1)
    throw new TwirpError('invalid_argument', 'at most one file output is supported');
  const file = req.fileOutputs[0] ?? (req.output.case === 'file' ? req.output.value : undefined);
  if (!file) throw new TwirpError('invalid_argument', 'a file output is required');
  if (file.fileType !== EncodedFileType.DEFAULT_FILETYPE && file.fileType !== EncodedFileType.MP4)
    throw new TwirpError('invalid_argument', 'only MP4 file outputs are supported');
  if (file.output.case !== undefined)
    throw new TwirpError('invalid_argument', 'uploads are not supported (files stay local)');
  return file;
}

const unimplemented = (): never => {
  throw new TwirpError('unimplemented', 'only room composite egress is implemented');
};

export class LiveKitEgress {
  private readonly entries = new Map<string, Entry>();
  private readonly maxKept: number;

  constructor(private readonly options: LiveKitEgressOptions) {
    this.maxKept = options.maxKept ?? 1000;
  }

  private nowNs(): bigint {
    return BigInt(Math.round(this.options.now())) * 1_000_000n;
  }

  /** Whether an egress still writes this file (relative path). */
  isWriting(relative: string): boolean {
    for (const e of this.entries.values())
      if (e.relative === relative && e.info.status <= EgressStatus.EGRESS_ENDING) return true;
    return false;
  }

  methods(): Map<string, TwirpMethod> {
    return new Map<string, TwirpMethod>([
      [
        'StartRoomCompositeEgress',
        method(RoomCompositeEgressRequest, (req, grants) => {
          requireRecord(grants);
          return this.start(req);
        }),
      ],
      [
        'ListEgress',
        method(ListEgressRequest, (req, grants) => {
          requireRecord(grants);
          return new ListEgressResponse({ items: this.list(req) });
        }),
      ],
      [
        'StopEgress',
        method(StopEgressRequest, (req, grants) => {
          requireRecord(grants);
          return this.stop(checkEgressId(req.egressId));
        }),
      ],
      ['StartWebEgress', method(WebEgressRequest, unimplemented)],
      ['StartParticipantEgress', method(ParticipantEgressRequest, unimplemented)],
      ['StartTrackCompositeEgress', method(TrackCompositeEgressRequest, unimplemented)],
      ['StartTrackEgress', method(TrackEgressRequest, unimplemented)],
      ['UpdateLayout', method(UpdateLayoutRequest, unimplemented)],
      ['UpdateStream', method(UpdateStreamRequest, unimplemented)],
    ]);
  }

  start(req: RoomCompositeEgressRequest): EgressInfo {
    const roomName = checkName(req.roomName, 'room');
    const file = fileOutputOf(req);
    if (req.videoOnly) throw new TwirpError('invalid_argument', 'videoOnly is not supported');
    const room = this.options.rooms.listRooms([roomName])[0];
    if (!room) throw new TwirpError('not_found', 'requested room does not exist');
    const path = egressFilePath(file.filepath, {
      roomName,
      roomId: room.sid,
      now: new Date(this.options.now()),
    });
    const dir = insideRoot(this.options.recordingsDir, path.dirSegments);
    insideRoot(this.options.recordingsDir, [...path.dirSegments, `${path.name}.mp4`]);
    if (this.isWriting(path.relative))
      throw new TwirpError('already_exists', 'another egress is writing this file');
    const info = new EgressInfo({
      egressId: `EG_${randomAlnum(12)}`,
      roomId: room.sid,
      roomName,
      sourceType: EgressSourceType.WEB,
      status: EgressStatus.EGRESS_STARTING,
      updatedAt: this.nowNs(),
      request: { case: 'roomComposite', value: req },
    });
    const entry: Entry = { info, relative: path.relative, stopRequested: false };
    this.entries.set(info.egressId, entry);
    this.forgetOld();
    this.options.onEvent('egress_started', info.clone());
    entry.done = settleFlag(this.run(entry, dir, path.name, req.audioOnly));
    return info.clone();
  }

  private async run(entry: Entry, dir: string, name: string, audioOnly: boolean): Promise<void> {
    const { info } = entry;
    try {
      await mkdir(dir, { recursive: true });
      // The path was checked by name; a symlinked folder must not lead the recorder elsewhere.
      const [realDir, realRoot] = await Promise.all([
        realpath(dir),
        realpath(this.options.recordingsDir),
      ]);
      if (realDir !== realRoot && !realDir.startsWith(realRoot + sep))
        throw new Error('the file path leaves the recordings folder');
      const recording = await this.options.rooms.recordRoom(info.roomName, {
        recordingId: info.egressId,
        dir,
        name,
        audioOnly,
      });
      if (!recording) throw new Error('requested room does not exist');
      entry.recording = recording;
      info.startedAt = this.nowNs();
      // Synchronous from the check to `onStop`, so a StopEgress cannot slip in between.
      if (!entry.stopRequested) {
        this.change(entry, EgressStatus.EGRESS_ACTIVE, 'egress_updated');
        await new Promise<void>((resolve) => (entry.onStop = resolve));
      }
      const result = await recording.stop();
      const relative = [...entry.relative.split('/').slice(0, -1), result.fileName].join('/');
      info.endedAt = this.nowNs();
      const fileInfo = new FileInfo({
        filename: relative,
        startedAt: info.startedAt,
        endedAt: info.endedAt,
        duration: BigInt(Math.round(result.duration * 1e9)),
        size: BigInt(result.size),
        location: `${EGRESS_FILES_PREFIX}${relative}`,
      });
      info.fileResults = [fileInfo];
      info.result = { case: 'file', value: fileInfo };
      this.change(entry, EgressStatus.EGRESS_COMPLETE, 'egress_ended');
    } catch (e) {
      info.endedAt = this.nowNs();
      info.error = e instanceof Error ? e.message : 'recording failed';
      this.options.logger.warn('egress failed', { egressId: info.egressId });
      this.change(entry, EgressStatus.EGRESS_FAILED, 'egress_ended');
    }
  }

  private change(entry: Entry, status: EgressStatus, event: EgressEventName): void {
    entry.info.status = status;
    entry.info.updatedAt = this.nowNs();
    this.options.onEvent(event, entry.info.clone());
  }

  list(req: ListEgressRequest): EgressInfo[] {
    if (req.roomName) checkName(req.roomName, 'room');
    if (req.egressId) checkEgressId(req.egressId);
    const out: EgressInfo[] = [];
    for (const { info } of this.entries.values()) {
      if (req.roomName && info.roomName !== req.roomName) continue;
      if (req.egressId && info.egressId !== req.egressId) continue;
      if (req.active && !LIVE.has(info.status)) continue;
      out.push(info.clone());
    }
    return out;
  }

  stop(egressId: string): EgressInfo {
    const entry = this.entries.get(egressId);
    if (!entry) throw new TwirpError('not_found', 'egress does not exist');
    if (!LIVE.has(entry.info.status))
      throw new TwirpError(
        'failed_precondition',
        `egress with status ${EgressStatus[entry.info.status]} cannot be stopped`,
      );
    entry.stopRequested = true;
    this.change(entry, EgressStatus.EGRESS_ENDING, 'egress_updated');
    entry.onStop?.();
    return entry.info.clone();
  }

  /** Stops every live egress and waits until each has ended. */
  async close(): Promise<void> {
    for (const [id, entry] of this.entries) if (LIVE.has(entry.info.status)) this.stop(id);
    await Promise.all([...this.entries.values()].map((e) => e.done));
  }

  private forgetOld(): void {
    if (this.entries.size <= this.maxKept) return;
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxKept) break;
      if (entry.done?.settled) this.entries.delete(id);
    }
  }
}

/** A promise that remembers that it settled (for the synchronous checks). */
type Flagged = Promise<void> & { settled?: boolean };
function settleFlag(p: Promise<void>): Flagged {
  const flagged: Flagged = p.finally(() => {
    flagged.settled = true;
  });
  return flagged;
}
