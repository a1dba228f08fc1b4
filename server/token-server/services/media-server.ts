/**
 * What the services need from a media server, so routes and services never branch on which one
 * runs. The vocabulary is OpenVidu 2's (sessions, connections, recordings), which the OpenVidu
 * client (`openvidu-client.ts`) speaks natively; the LiveKit adapter (`livekit-server.ts`) maps
 * rooms, participants and egresses onto it. Failures are the same two errors for both:
 * `OpenViduUnavailableError` (network, timeout, 5xx) and `OpenViduHttpError` (a refusal, with the
 * status), which the services already turn into `openvidu-unavailable` and friends.
 */
import type { MediaBackendKind } from '../../../src/contract.js';
import type {
  OpenViduConnection,
  OpenViduRecording,
  OpenViduRole,
  OpenViduSession,
} from '../openvidu-client.js';

export interface MediaServer {
  /** Which SDK backend the tokens are for. */
  readonly kind: MediaBackendKind;
  /** Fields the token response carries so the SDK picks its backend (none for OpenVidu). */
  tokenFields(): { backend?: MediaBackendKind; serverUrl?: string };
  /** Creates the session (LiveKit: the room) once; `created: false` when it existed. */
  createSession(sessionId: string): Promise<{ created: boolean }>;
  /** The session with its active connections (LiveKit: the room's participants). */
  getSession(sessionId: string): Promise<OpenViduSession | undefined>;
  /** Closes the session for everyone (LiveKit: deletes the room); false when it did not exist. */
  closeSession(sessionId: string): Promise<boolean>;
  /** Evicts a connection (LiveKit: removes the participant); false when it was not there. */
  destroyConnection(sessionId: string, connectionId: string): Promise<boolean>;
  /** A new connection and its token (LiveKit: a new identity and its access token). */
  createConnection(
    sessionId: string,
    /** `record: false` keeps the connection out of recordings (OpenVidu; LiveKit records by egress). */
    props: { role: OpenViduRole; data: string; record?: boolean },
  ): Promise<OpenViduConnection | undefined>;
  getConnection(sessionId: string, connectionId: string): Promise<OpenViduConnection | undefined>;
  /** Starts a composed recording to one MP4 (LiveKit: a room composite egress). */
  startRecording(sessionId: string, name?: string): Promise<OpenViduRecording>;
  stopRecording(recordingId: string): Promise<OpenViduRecording>;
  getRecording(recordingId: string): Promise<OpenViduRecording | undefined>;
  deleteRecording(recordingId: string): Promise<boolean>;
  /** The recording file, unread (Range headers forwarded). */
  openRecordingFile(
    recordingId: string,
    fileName: string,
    headers: Record<string, string>,
  ): Promise<Response>;
  /** Reachability probe; resolves to the latency in ms. */
  ping(timeoutMs: number): Promise<number>;
  /** Closes the connections kept open to the media server (the token server is shutting down). */
  close?(): void;
}
