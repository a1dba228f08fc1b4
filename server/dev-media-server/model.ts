/**
 * The in-memory model of sessions, connections and streams, and its JSON views (REST and JSON-RPC
 * shapes, including the deprecated duplicate fields openvidu-node-client reads).
 */
import type { IceCandidate } from './media/types.js';
import type { OpenViduRole } from '../shared/openvidu.js';

/** A connection's role (OpenVidu's). */
export type Role = OpenViduRole;
export const ROLES: readonly Role[] = ['SUBSCRIBER', 'PUBLISHER', 'MODERATOR'];

export type OutputMode = 'COMPOSED' | 'INDIVIDUAL' | 'COMPOSED_QUICK_START';
export const OUTPUT_MODES: readonly OutputMode[] = [
  'COMPOSED',
  'INDIVIDUAL',
  'COMPOSED_QUICK_START',
];
export type RecordingLayout =
  | 'BEST_FIT'
  | 'PICTURE_IN_PICTURE'
  | 'VERTICAL_PRESENTATION'
  | 'HORIZONTAL_PRESENTATION'
  | 'CUSTOM';
export const RECORDING_LAYOUTS: readonly RecordingLayout[] = [
  'BEST_FIT',
  'PICTURE_IN_PICTURE',
  'VERTICAL_PRESENTATION',
  'HORIZONTAL_PRESENTATION',
  'CUSTOM',
];

export interface RecordingProperties {
  name: string;
  hasAudio: boolean;
  hasVideo: boolean;
  outputMode: OutputMode;
  recordingLayout: RecordingLayout;
  customLayout: string;
  resolution: string;
  frameRate: number;
  shmSize: number;
  ignoreFailedStreams: boolean;
  mediaNode?: { id: string };
}

export const DEFAULT_RECORDING_PROPERTIES: RecordingProperties = {
  name: '',
  hasAudio: true,
  hasVideo: true,
  outputMode: 'COMPOSED',
  recordingLayout: 'BEST_FIT',
  customLayout: '',
  resolution: '1280x720',
  frameRate: 25,
  shmSize: 536870912,
  ignoreFailedStreams: false,
};

export interface KurentoOptions {
  videoMaxRecvBandwidth?: number;
  videoMinRecvBandwidth?: number;
  videoMaxSendBandwidth?: number;
  videoMinSendBandwidth?: number;
  allowedFilters?: string[];
}

/** An ICE server in OpenVidu's REST/joinRoom shape (`url`, singular). */
export interface IceServerJson {
  url: string;
  username?: string;
  credential?: string;
}

export interface FilterState {
  type: string;
  options: unknown;
  lastExecMethod?: { method: string; params: unknown };
}

export interface PublisherRecord {
  streamId: string;
  createdAt: number;
  hasAudio: boolean;
  hasVideo: boolean;
  audioActive: boolean;
  videoActive: boolean;
  typeOfVideo: string | undefined;
  frameRate: number;
  /** JSON text `{"width":…,"height":…}` as the browser sent it, or null. */
  videoDimensions: string | null;
  filter: FilterState | undefined;
  /** False while the media router is still negotiating; hidden from everyone until true. */
  ready: boolean;
}

export interface SubscriptionRecord {
  streamId: string;
  createdAt: number;
  endpointId: string;
}

/** What the signalling transport (an RPC session) offers to the model for one participant. */
export interface ParticipantTransport {
  notify(method: string, params: object): void;
  /** Unbinds the participant; the socket is closed after `closeDelayMs` (0 = now). */
  detach(closeDelayMs: number): void;
}

export interface ConnectionRecord {
  id: string;
  sessionId: string;
  createdAt: number;
  tokenId: string;
  token: string;
  type: 'WEBRTC';
  serverData: string;
  record: boolean;
  role: Role;
  kurentoOptions: KurentoOptions | null;
  customIceServers: IceServerJson[];
  status: 'pending' | 'active';
  activeAt: number | null;
  ip: string | null;
  platform: string | null;
  clientData: string | null;
  location: string | null;
  transport: ParticipantTransport | undefined;
  publisher: PublisherRecord | undefined;
  /** Keyed by the publisher's connection id. */
  subscriptions: Map<string, SubscriptionRecord>;
  /** Own-endpoint candidates that arrived before `publishVideo` assigned a stream id. */
  earlyPublisherCandidates: IceCandidate[];
  /** Every router endpoint this participant may have caused to exist (released on leave). */
  endpoints: Set<string>;
}

export interface SessionRecord {
  id: string;
  createdAt: number;
  customSessionId: string;
  mediaMode: 'ROUTED' | 'RELAYED';
  recordingMode: 'MANUAL' | 'ALWAYS';
  defaultRecordingProperties: RecordingProperties;
  forcedVideoCodec: string;
  allowTranscoding: boolean;
  mediaNode: { id: string } | undefined;
  /** Pending and active connections by connection id. */
  connections: Map<string, ConnectionRecord>;
  /** Pending and active connections by token id (`tok_…`). */
  tokens: Map<string, ConnectionRecord>;
  everActive: boolean;
  closing: boolean;
  /** Id of the recording currently `starting`/`started`, if any. */
  activeRecordingId: string | undefined;
  autostopTimer: NodeJS.Timeout | undefined;
}

/** The one place that names subscriber endpoints (router ids, ICE routing, `iceCandidate.endpointName`). */
export function subscriberEndpointId(
  subscriberConnectionId: string,
  publisherConnectionId: string,
): string {
  return `${subscriberConnectionId}<-${publisherConnectionId}`;
}

export function activeConnections(session: SessionRecord): ConnectionRecord[] {
  return [...session.connections.values()].filter((c) => c.status === 'active');
}

export function fullMetadata(c: ConnectionRecord): string {
  const client = c.clientData ?? '';
  if (client && c.serverData) return `${client}%/%${c.serverData}`;
  return client || c.serverData;
}

function recordingPropertiesJson(p: RecordingProperties): object {
  return {
    name: p.name,
    hasAudio: p.hasAudio,
    hasVideo: p.hasVideo,
    outputMode: p.outputMode,
    recordingLayout: p.recordingLayout,
    resolution: p.resolution,
    frameRate: p.frameRate,
    shmSize: p.shmSize,
    ...(p.recordingLayout === 'CUSTOM' ? { customLayout: p.customLayout } : {}),
    ...(p.mediaNode ? { mediaNode: p.mediaNode } : {}),
  };
}

function mediaOptionsJson(p: PublisherRecord): object {
  return {
    hasAudio: p.hasAudio,
    audioActive: p.audioActive,
    hasVideo: p.hasVideo,
    videoActive: p.videoActive,
    typeOfVideo: p.typeOfVideo ?? null,
    frameRate: p.frameRate,
    videoDimensions: p.videoDimensions,
    filter: p.filter ?? {},
  };
}

/** REST connection object (pending or active). */
export function connectionJson(c: ConnectionRecord): object {
  const active = c.status === 'active';
  return {
    id: c.id,
    object: 'connection',
    status: c.status,
    connectionId: c.id,
    sessionId: c.sessionId,
    createdAt: c.createdAt,
    activeAt: c.activeAt,
    location: c.location,
    ip: c.ip,
    platform: c.platform,
    token: c.token,
    type: c.type,
    record: c.record,
    role: c.role,
    kurentoOptions: c.kurentoOptions,
    customIceServers: c.customIceServers,
    rtspUri: null,
    adaptativeBitrate: null,
    onlyPlayWithSubscribers: null,
    networkCache: null,
    serverData: c.serverData,
    clientData: c.clientData,
    publishers: active
      ? c.publisher?.ready
        ? [
            {
              createdAt: c.publisher.createdAt,
              streamId: c.publisher.streamId,
              mediaOptions: mediaOptionsJson(c.publisher),
            },
          ]
        : []
      : null,
    subscribers: active
      ? [...c.subscriptions.values()].map((s) => ({ createdAt: s.createdAt, streamId: s.streamId }))
      : null,
  };
}

/** REST session object. */
export function sessionJson(s: SessionRecord, pendingConnections: boolean): object {
  const content = [...s.connections.values()]
    .filter((c) => pendingConnections || c.status === 'active')
    .map(connectionJson);
  return {
    id: s.id,
    object: 'session',
    sessionId: s.id,
    createdAt: s.createdAt,
    recording: s.activeRecordingId !== undefined,
    broadcasting: false,
    mediaMode: s.mediaMode,
    recordingMode: s.recordingMode,
    defaultRecordingProperties: recordingPropertiesJson(s.defaultRecordingProperties),
    customSessionId: s.customSessionId,
    forcedVideoCodec: s.forcedVideoCodec,
    allowTranscoding: s.allowTranscoding,
    ...(s.mediaNode ? { mediaNode: s.mediaNode } : {}),
    connections: { numberOfElements: content.length, content },
  };
}

/** Deprecated `POST /openvidu/api/tokens` answer. */
export function tokenJson(c: ConnectionRecord): object {
  return {
    id: c.token,
    token: c.token,
    createdAt: c.createdAt,
    connectionId: c.id,
    session: c.sessionId,
    data: c.serverData,
    role: c.role,
    ...(c.kurentoOptions ? { kurentoOptions: c.kurentoOptions } : {}),
  };
}

/** A stream as the browser expects it in joinRoom `value[].streams` and `participantPublished`. */
export function streamRpcJson(p: PublisherRecord): object {
  return {
    id: p.streamId,
    createdAt: p.createdAt,
    hasAudio: p.hasAudio,
    hasVideo: p.hasVideo,
    audioActive: p.audioActive,
    videoActive: p.videoActive,
    ...(p.typeOfVideo !== undefined ? { typeOfVideo: p.typeOfVideo } : {}),
    frameRate: p.frameRate,
    videoDimensions: p.videoDimensions,
    filter: p.filter ?? {},
  };
}

/** An existing participant as seen by a joiner (no `role`: the browser treats role as "this is me"). */
export function participantRpcJson(c: ConnectionRecord): object {
  return {
    id: c.id,
    createdAt: c.activeAt ?? c.createdAt,
    metadata: fullMetadata(c),
    ...(c.publisher?.ready ? { streams: [streamRpcJson(c.publisher)] } : {}),
  };
}
