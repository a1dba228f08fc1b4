/**
 * The LiveKit media server (self-hosted LiveKit, LiveKit Cloud, OpenVidu 3) behind the
 * {@link MediaServer} interface, with `livekit-server-sdk` (an optional peer, loaded on first use):
 *
 * - a session is a room (`RoomService.CreateRoom`, `DeleteRoom`), its connections the room's
 *   participants (`ListParticipants`, `GetParticipant`, `RemoveParticipant`);
 * - a connection is an identity minted per token (`con_…`, like OpenVidu's connection ids, so one
 *   user may hold several, and webhooks and removal are attributed per token); its access token is
 *   a JWT signed with the API secret: `roomJoin` to this room, publish, subscribe and data for
 *   everyone, `roomAdmin` for providers only; the server data JSON (user id, role, display name) is
 *   the participant's metadata, which the participant cannot change; the JWT expires with the
 *   token (`expiresAt`), so LiveKit itself refuses an unused token afterwards;
 * - a recording is a room composite egress to one MP4 (`Egress.StartRoomCompositeEgress`,
 *   `StopEgress`, `ListEgress`); the file goes to the egress service's configured storage. The
 *   proxy download reads it from `LIVEKIT_RECORDINGS_URL/<file path>` when that is set (an HTTP
 *   server or bucket endpoint the token server can reach); deletion sends `DELETE` there.
 *
 * Twirp failures become the same errors as OpenVidu's: network, timeout and 5xx →
 * `OpenViduUnavailableError`; other statuses → `OpenViduHttpError`. The API secret only signs
 * JWTs: it never reaches a log or an error message.
 */
import { randomBytes } from 'node:crypto';
import type * as LiveKitSdk from 'livekit-server-sdk';
import type { OpenViduConnection, OpenViduRecording, OpenViduRole } from './openvidu-client.js';
import { OpenViduHttpError, OpenViduUnavailableError } from './openvidu-client.js';
import type { OpenViduRecordingStatus } from '../shared/openvidu.js';
import type { MediaServer } from './services/media-server.js';

export interface LiveKitServerOptions {
  /** `wss://…` (what browsers connect to); the API is called on the same host over http(s). */
  url: string;
  apiKey: string;
  apiSecret: string;
  /** Lifetime of the access tokens in seconds (the token server's token TTL). */
  tokenTtlSec: number;
  /** Per-request timeout in ms (default 5000). */
  timeoutMs?: number;
  /** Where the egress files can be read (and deleted) over HTTP, by their path. */
  recordingsUrl?: string;
  /** URL of the API when it differs from `url` (e.g. an internal address). */
  apiUrl?: string;
  fetch?: typeof fetch;
}

type Sdk = typeof LiveKitSdk;

/** `EgressStatus` of `@livekit/protocol`, by name and number (JSON answers may use either). */
const EGRESS_STATUS: Record<string, OpenViduRecordingStatus> = {
  EGRESS_STARTING: 'starting',
  EGRESS_ACTIVE: 'started',
  EGRESS_ENDING: 'stopped',
  EGRESS_COMPLETE: 'ready',
  EGRESS_FAILED: 'failed',
  EGRESS_ABORTED: 'failed',
  // The limit stopped it, and the file is complete up to there.
  EGRESS_LIMIT_REACHED: 'ready',
};
const EGRESS_STATUS_NAMES = [
  'EGRESS_STARTING',
  'EGRESS_ACTIVE',
  'EGRESS_ENDING',
  'EGRESS_COMPLETE',
  'EGRESS_FAILED',
  'EGRESS_ABORTED',
  'EGRESS_LIMIT_REACHED',
];

/** An egress status (enum number or name) as OpenVidu's recording status. */
export function egressStatus(status: unknown): OpenViduRecordingStatus {
  const name = typeof status === 'number' ? EGRESS_STATUS_NAMES[status] : String(status);
  return EGRESS_STATUS[name ?? ''] ?? 'failed';
}

/** The parts of an `EgressInfo` the adapter reads (protobuf message or its JSON). */
export interface EgressLike {
  egressId: string;
  roomName: string;
  status: unknown;
  startedAt?: bigint | number | string;
  endedAt?: bigint | number | string;
  error?: string;
  fileResults?: {
    filename?: string;
    location?: string;
    size?: bigint | number | string;
    duration?: bigint | number | string;
  }[];
}

const nanosToMs = (v: bigint | number | string | undefined): number | undefined => {
  if (v === undefined || v === '' || v === 0 || v === 0n) return undefined;
  return Math.round(Number(BigInt(v) / 1_000_000n));
};

/** An egress as the recording OpenVidu would describe (composed, one MP4). */
export function recordingOfEgress(e: EgressLike): OpenViduRecording {
  const file = e.fileResults?.[0];
  const durationNs = file?.duration !== undefined ? Number(BigInt(file.duration)) : 0;
  return {
    id: e.egressId,
    name: e.egressId,
    sessionId: e.roomName,
    outputMode: 'COMPOSED',
    createdAt: nanosToMs(e.startedAt) ?? Date.now(),
    size: file?.size !== undefined ? Number(BigInt(file.size)) : 0,
    duration: durationNs / 1e9,
    url: file?.filename ?? file?.location ?? null,
    hasAudio: true,
    hasVideo: true,
    status: egressStatus(e.status),
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

export class LiveKitMediaServer implements MediaServer {
  readonly kind = 'livekit' as const;
  private sdk: Promise<Sdk> | undefined;
  private readonly apiUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: LiveKitServerOptions) {
    this.apiUrl = (options.apiUrl ?? options.url)
      .replace(/^ws(s?):/, 'http$1:')
      .replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  tokenFields(): { backend: 'livekit'; serverUrl: string } {
    return { backend: 'livekit', serverUrl: this.options.url };
  }

  private load(): Promise<Sdk> {
    this.sdk ??= import('livekit-server-sdk');
    return this.sdk;
  }

  private clientOptions() {
    return { requestTimeout: this.timeoutMs / 1000, failover: false };
  }

  /** Runs a Twirp call; maps its failures onto the OpenVidu errors (`notFound` → undefined). */
  private async call<T>(what: string, run: (sdk: Sdk) => Promise<T>): Promise<T | undefined> {
    let sdk: Sdk;
    try {
      sdk = await this.load();
    } catch {
      throw new OpenViduUnavailableError(`LiveKit ${what}: livekit-server-sdk is not installed`);
    }
    try {
      return await run(sdk);
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) return undefined;
      if (status === undefined || status >= 500)
        throw new OpenViduUnavailableError(`LiveKit ${what} failed`);
      throw new OpenViduHttpError(status, what);
    }
  }

  private async rooms(sdk: Sdk) {
    const { apiKey, apiSecret } = this.options;
    return new sdk.RoomServiceClient(this.apiUrl, apiKey, apiSecret, this.clientOptions());
  }

  private async egress(sdk: Sdk) {
    const { apiKey, apiSecret } = this.options;
    return new sdk.EgressClient(this.apiUrl, apiKey, apiSecret, this.clientOptions());
  }

  async createSession(sessionId: string): Promise<{ created: boolean }> {
    // CreateRoom answers the existing room when there is one.
    await this.call('createRoom', async (sdk) =>
      (await this.rooms(sdk)).createRoom({ name: sessionId, emptyTimeout: 300 }),
    );
    return { created: true };
  }

  async getSession(sessionId: string) {
    const participants = await this.call('listParticipants', async (sdk) =>
      (await this.rooms(sdk)).listParticipants(sessionId),
    );
    if (!participants) return undefined;
    const content = participants.map((p) => this.connectionOf(p));
    return {
      sessionId,
      createdAt: 0,
      recording: false,
      connections: { numberOfElements: content.length, content },
    };
  }

  private connectionOf(p: {
    identity: string;
    metadata: string;
    joinedAt: bigint;
  }): OpenViduConnection {
    let role: OpenViduRole = 'PUBLISHER';
    try {
      if ((JSON.parse(p.metadata) as { role?: unknown }).role === 'provider') role = 'MODERATOR';
    } catch {
      // not made by this server
    }
    const joinedMs = Number(p.joinedAt) * 1000;
    return {
      connectionId: p.identity,
      status: 'active',
      token: null,
      role,
      serverData: p.metadata,
      createdAt: joinedMs,
      activeAt: joinedMs,
    };
  }

  async closeSession(sessionId: string): Promise<boolean> {
    const done = await this.call('deleteRoom', async (sdk) => {
      await (await this.rooms(sdk)).deleteRoom(sessionId);
      return true;
    });
    return done === true;
  }

  async destroyConnection(sessionId: string, connectionId: string): Promise<boolean> {
    const done = await this.call('removeParticipant', async (sdk) => {
      await (await this.rooms(sdk)).removeParticipant(sessionId, connectionId);
      return true;
    });
    return done === true;
  }

  async createConnection(
    sessionId: string,
    props: { role: OpenViduRole; data: string },
  ): Promise<OpenViduConnection> {
    const sdk = await this.load().catch(() => {
      throw new OpenViduUnavailableError('LiveKit: livekit-server-sdk is not installed');
    });
    const identity = `con_${randomBytes(12).toString('base64url')}`;
    const at = new sdk.AccessToken(this.options.apiKey, this.options.apiSecret, {
      identity,
      metadata: props.data,
      ttl: this.options.tokenTtlSec,
    });
    at.addGrant({
      room: sessionId,
      roomJoin: true,
      roomAdmin: props.role === 'MODERATOR',
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
      canUpdateOwnMetadata: false,
    });
    const now = Date.now();
    return {
      connectionId: identity,
      status: 'pending',
      token: await at.toJwt(),
      role: props.role,
      serverData: props.data,
      createdAt: now,
      activeAt: null,
    };
  }

  async getConnection(sessionId: string, connectionId: string) {
    const p = await this.call('getParticipant', async (sdk) =>
      (await this.rooms(sdk)).getParticipant(sessionId, connectionId),
    );
    return p ? this.connectionOf(p) : undefined;
  }

  async startRecording(sessionId: string): Promise<OpenViduRecording> {
    const info = await this.call('startRoomCompositeEgress', async (sdk) => {
      const output = new sdk.EncodedFileOutput({
        fileType: sdk.EncodedFileType.MP4,
        filepath: `${sessionId}/${sessionId}-{time}.mp4`,
      });
      return (await this.egress(sdk)).startRoomCompositeEgress(sessionId, { file: output });
    });
    // A room nobody is in: the same refusal OpenVidu gives (406).
    if (!info) throw new OpenViduHttpError(404, 'startRecording');
    return recordingOfEgress(info);
  }

  async stopRecording(recordingId: string): Promise<OpenViduRecording> {
    const info = await this.call('stopEgress', async (sdk) =>
      (await this.egress(sdk)).stopEgress(recordingId),
    );
    if (!info) throw new OpenViduHttpError(404, 'stopRecording');
    return recordingOfEgress(info);
  }

  async getRecording(recordingId: string): Promise<OpenViduRecording | undefined> {
    const list = await this.call('listEgress', async (sdk) =>
      (await this.egress(sdk)).listEgress({ egressId: recordingId }),
    );
    const info = list?.find((e) => e.egressId === recordingId);
    return info ? recordingOfEgress(info) : undefined;
  }

  /** Deletes the file where `recordingsUrl` serves it; without one, nothing can be deleted (501). */
  async deleteRecording(recordingId: string): Promise<boolean> {
    const r = await this.getRecording(recordingId);
    if (!r) return false;
    if (!this.options.recordingsUrl || !r.url) throw new OpenViduHttpError(501, 'deleteRecording');
    const res = await this.fetchFile(r.url, 'DELETE', {});
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 404) return false;
    if (!res.ok) throw new OpenViduHttpError(res.status, 'deleteRecording');
    return true;
  }

  async openRecordingFile(
    recordingId: string,
    _fileName: string,
    headers: Record<string, string>,
  ): Promise<Response> {
    const r = await this.getRecording(recordingId);
    if (!r?.url || !this.options.recordingsUrl) return new Response(null, { status: 404 });
    return this.fetchFile(r.url, 'GET', headers);
  }

  private async fetchFile(
    path: string,
    method: string,
    headers: Record<string, string>,
  ): Promise<Response> {
    const base = (this.options.recordingsUrl ?? '').replace(/\/+$/, '');
    const url = `${base}/${path.split('/').map(encodeURIComponent).join('/')}`;
    try {
      return await (this.options.fetch ?? fetch)(url, { method, headers, redirect: 'manual' });
    } catch {
      throw new OpenViduUnavailableError('LiveKit recording storage failed');
    }
  }

  async ping(timeoutMs: number): Promise<number> {
    const started = Date.now();
    const sdk = await this.load();
    const { apiKey, apiSecret } = this.options;
    const rooms = new sdk.RoomServiceClient(this.apiUrl, apiKey, apiSecret, {
      requestTimeout: timeoutMs / 1000,
      failover: false,
    });
    try {
      await rooms.listRooms([]);
    } catch (e) {
      const status = statusOf(e);
      if (status !== undefined && status < 500) throw new OpenViduHttpError(status, 'health check');
      throw new OpenViduUnavailableError('LiveKit health check failed');
    }
    return Date.now() - started;
  }
}
