/**
 * The token-server endpoints the SDK calls (see `contract.ts`), on top of {@link HttpClient}.
 * @packageDocumentation
 */
import type {
  ConsentState,
  DeviceCheckReport,
  LobbyEntry,
  ParticipantRole,
  RecordingInfo,
  StoredChatMessage,
  TokenResponse,
  WaitingResponse,
} from './contract.js';
import { SERVER_RECORDING_STATUSES } from './contract.js';
import { ConsultError } from './errors.js';
import type { HttpClient } from './http.js';

/** What a token request produced: a token, or a place in the waiting room. @public */
export type TokenResult =
  | { readonly status: 'token'; readonly token: TokenResponse }
  | { readonly status: 'waiting'; readonly waiting: WaitingResponse };

/** Arguments of a custom token fetcher. @public */
export interface FetchTokenRequest {
  consultId: string;
  displayName?: string;
  /** The pre-join device check, when the page reported one (`ConnectOptions.deviceCheck`). */
  deviceCheck?: DeviceCheckReport;
  signal?: AbortSignal;
}

/**
 * A custom token source: return a {@link TokenResponse} (or a `WaitingResponse` for the waiting room).
 * Throw a {@link ConsultError} to choose the error code; anything else becomes `token-fetch` codes.
 * @public
 */
export type FetchToken = (request: FetchTokenRequest) => Promise<TokenResponse | WaitingResponse>;

/** `tokenUrl` option: an API base, a template with `{consultId}`, or a function. @public */
export type TokenUrl = string | ((consultId: string) => string);

const ROLES: ReadonlySet<string> = new Set<ParticipantRole>(['provider', 'patient', 'guest']);

/** True for the three roles. @internal */
export function isRole(value: unknown): value is ParticipantRole {
  return typeof value === 'string' && ROLES.has(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a token answer (`200`) or a waiting answer (`202` / `{ status: 'waiting' }`).
 * @internal
 */
export function parseTokenResult(consultId: string, data: unknown, status = 200): TokenResult {
  if (isRecord(data) && (status === 202 || data.status === 'waiting')) {
    if (data.status !== 'waiting') throw invalid('a 202 answer without status "waiting"');
    const position = typeof data.position === 'number' ? data.position : undefined;
    return {
      status: 'waiting',
      waiting: {
        status: 'waiting',
        consultId,
        ...(position !== undefined ? { position } : {}),
        ...(data.recording === true ? { recording: true } : {}),
      },
    };
  }
  return { status: 'token', token: parseTokenResponse(consultId, data) };
}

/** Validates a {@link TokenResponse}. @internal */
export function parseTokenResponse(consultId: string, data: unknown): TokenResponse {
  if (!isRecord(data) || typeof data.token !== 'string' || data.token === '') {
    throw invalid('no token in the answer');
  }
  const backend = data.backend ?? 'openvidu';
  if (backend !== 'openvidu' && backend !== 'livekit') throw invalid('an unknown media backend');
  if (backend === 'livekit' && (typeof data.serverUrl !== 'string' || data.serverUrl === ''))
    throw invalid('a LiveKit token without its server URL');
  return {
    token: data.token,
    consultId: typeof data.consultId === 'string' ? data.consultId : consultId,
    connectionId: typeof data.connectionId === 'string' ? data.connectionId : '',
    role: isRole(data.role) ? data.role : 'guest',
    expiresAt: typeof data.expiresAt === 'string' ? data.expiresAt : '',
    ...(data.backend !== undefined ? { backend } : {}),
    ...(typeof data.serverUrl === 'string' && data.serverUrl ? { serverUrl: data.serverUrl } : {}),
    ...(typeof data.userId === 'string' ? { userId: data.userId } : {}),
    ...(typeof data.displayName === 'string' ? { displayName: data.displayName } : {}),
    ...(isRecord(data.recording) && data.recording.active === true
      ? { recording: { active: true, consentRequired: data.recording.consentRequired === true } }
      : {}),
  };
}

function invalid(what: string): ConsultError {
  return new ConsultError('invalid-response', `The token server answered with ${what}.`);
}

/** Where the SDK's endpoints are. @internal */
export interface Endpoints {
  token(consultId: string): string | undefined;
  /** API base (`…/api`), for everything but the token; undefined when unknown. */
  base: string | undefined;
  events?: (consultId: string) => string;
}

const TOKEN_SUFFIX = '/consults/{consultId}/token';

/**
 * Resolves the endpoint options. A `tokenUrl` without `{consultId}` is the API base
 * (`POST {base}/consults/{id}/token`); a template's base is what precedes `/consults/{consultId}/token`.
 * @internal
 */
export function resolveEndpoints(options: {
  tokenUrl?: TokenUrl;
  apiUrl?: string;
  eventsUrl?: string | ((consultId: string) => string);
}): Endpoints {
  const { tokenUrl, apiUrl, eventsUrl } = options;
  const trim = (url: string): string => url.replace(/\/+$/, '');
  let base = apiUrl === undefined ? undefined : trim(apiUrl);
  let token: (consultId: string) => string | undefined = () => undefined;
  if (typeof tokenUrl === 'function') {
    token = tokenUrl;
  } else if (typeof tokenUrl === 'string') {
    if (tokenUrl.includes('{consultId}')) {
      token = (id) => tokenUrl.replace(/\{consultId\}/g, encodeURIComponent(id));
      if (base === undefined && tokenUrl.endsWith(TOKEN_SUFFIX)) {
        base = trim(tokenUrl.slice(0, -TOKEN_SUFFIX.length));
      }
    } else {
      const tokenBase = trim(tokenUrl);
      base ??= tokenBase;
      token = (id) => `${tokenBase}/consults/${encodeURIComponent(id)}/token`;
    }
  }
  const events =
    typeof eventsUrl === 'function'
      ? eventsUrl
      : typeof eventsUrl === 'string'
        ? (id: string) => eventsUrl.replace(/\{consultId\}/g, encodeURIComponent(id))
        : undefined;
  return { token, base, ...(events ? { events } : {}) };
}

/**
 * The token-server calls of one consultation.
 * @internal
 */
export class ConsultApi {
  readonly consultId: string;
  private readonly http: HttpClient;
  private readonly endpoints: Endpoints;
  private readonly fetchToken: FetchToken | undefined;

  constructor(consultId: string, http: HttpClient, endpoints: Endpoints, fetchToken?: FetchToken) {
    this.consultId = consultId;
    this.http = http;
    this.endpoints = endpoints;
    this.fetchToken = fetchToken;
  }

  /** True when the server features (events, history, recording, lobby) have a URL. */
  get hasServer(): boolean {
    return this.endpoints.base !== undefined || this.endpoints.events !== undefined;
  }

  /** `{base}/consults/{id}{path}`; throws invalid-state without a base. */
  url(path: string): string {
    const { base } = this.endpoints;
    if (base === undefined) {
      throw ConsultError.invalidState(
        'No token-server API URL is configured (tokenUrl or apiUrl).',
      );
    }
    return `${base}/consults/${encodeURIComponent(this.consultId)}${path}`;
  }

  eventsUrl(): string | undefined {
    if (this.endpoints.events) return this.endpoints.events(this.consultId);
    return this.endpoints.base === undefined ? undefined : this.url('/events');
  }

  authHeaders(): Promise<Record<string, string>> {
    return this.http.authHeaders();
  }

  /** `POST …/token`, or the custom fetcher. */
  async requestToken(
    displayName: string | undefined,
    signal?: AbortSignal,
    deviceCheck?: DeviceCheckReport,
  ): Promise<TokenResult> {
    if (this.fetchToken) {
      let data: TokenResponse | WaitingResponse;
      try {
        data = await this.fetchToken({
          consultId: this.consultId,
          ...(displayName !== undefined ? { displayName } : {}),
          ...(deviceCheck ? { deviceCheck } : {}),
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (signal?.aborted) throw ConsultError.aborted(signal.reason);
        throw ConsultError.from(error, 'network-error');
      }
      return parseTokenResult(this.consultId, data);
    }
    const url = this.endpoints.token(this.consultId);
    if (url === undefined)
      throw ConsultError.invalidState('Neither tokenUrl nor fetchToken is set.');
    const result = await this.http.request(url, {
      method: 'POST',
      body: {
        ...(displayName !== undefined ? { displayName } : {}),
        ...(deviceCheck ? { deviceCheck } : {}),
      },
      signal,
      retry: true,
    });
    return parseTokenResult(this.consultId, result.data, result.status);
  }

  /** `GET …/messages`; `undefined` when the server keeps no history (404/501). */
  async messages(signal?: AbortSignal): Promise<StoredChatMessage[] | undefined> {
    try {
      const { data } = await this.http.request(this.url('/messages'), { signal, retry: true });
      const list = Array.isArray(data) ? data : isRecord(data) ? data.messages : undefined;
      if (!Array.isArray(list)) throw invalid('a message history that is not a list');
      return list.filter(isStoredMessage);
    } catch (error) {
      if (error instanceof ConsultError && (error.status === 404 || error.status === 501)) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * `POST …/messages`: a chat message this client sent, for the history (LiveKit, whose webhooks
   * carry no data packets). `data` is the chat payload JSON the message was sent with.
   */
  async relayMessage(connectionId: string, data: string, to?: readonly string[]): Promise<void> {
    await this.http.request(this.url('/messages'), {
      method: 'POST',
      body: { connectionId, message: JSON.parse(data) as unknown, ...(to ? { to: [...to] } : {}) },
      retry: true,
    });
  }

  /** `POST …/recordings`. */
  async startRecording(): Promise<RecordingInfo> {
    const { data } = await this.http.request(this.url('/recordings'), { method: 'POST', body: {} });
    return parseRecordingInfo(data, this.consultId);
  }

  /** `POST …/recordings/{id}/stop`. */
  async stopRecording(recordingId: string): Promise<RecordingInfo> {
    const { data } = await this.http.request(
      this.url(`/recordings/${encodeURIComponent(recordingId)}/stop`),
      { method: 'POST', body: {}, notFoundCode: 'recording-failed' },
    );
    return parseRecordingInfo(data, this.consultId, recordingId);
  }

  /** `GET …/recordings/{id}/download`, the raw response. */
  async downloadRecording(recordingId: string, signal?: AbortSignal): Promise<Response> {
    const { response } = await this.http.request(
      this.url(`/recordings/${encodeURIComponent(recordingId)}/download`),
      { signal, read: 'raw', notFoundCode: 'recording-failed', retry: true },
    );
    return response;
  }

  /** `POST …/recording-consent`. */
  async setConsent(granted: boolean): Promise<ConsentState | undefined> {
    const { data } = await this.http.request(this.url('/recording-consent'), {
      method: 'POST',
      body: { granted },
    });
    return parseConsentState(data);
  }

  /** `POST …/lobby/{userId}/admit|deny`, or `POST …/participants/{userId}/remove`. */
  async lobby(userId: string, action: 'admit' | 'deny' | 'remove', reason?: string): Promise<void> {
    const path = action === 'remove' ? 'participants' : 'lobby';
    await this.http.request(this.url(`/${path}/${encodeURIComponent(userId)}/${action}`), {
      method: 'POST',
      body: reason !== undefined ? { reason } : {},
    });
  }
}

function isStoredMessage(value: unknown): value is StoredChatMessage {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.text === 'string' &&
    typeof value.sentAt === 'string'
  );
}

const RECORDING_STATUSES: ReadonlySet<string> = new Set(SERVER_RECORDING_STATUSES);

/** Validates a {@link RecordingInfo}. @internal */
export function parseRecordingInfo(
  data: unknown,
  consultId: string,
  fallbackId?: string,
): RecordingInfo {
  const record = isRecord(data) && isRecord(data.recording) ? data.recording : data;
  if (!isRecord(record)) throw invalid('no recording');
  const recordingId = typeof record.recordingId === 'string' ? record.recordingId : fallbackId;
  if (
    recordingId === undefined ||
    typeof record.status !== 'string' ||
    !RECORDING_STATUSES.has(record.status)
  ) {
    throw invalid('a recording without id or status');
  }
  return {
    recordingId,
    consultId,
    status: record.status as RecordingInfo['status'],
    ...(typeof record.startedAt === 'string' ? { startedAt: record.startedAt } : {}),
    ...(typeof record.stoppedAt === 'string' ? { stoppedAt: record.stoppedAt } : {}),
    ...(typeof record.duration === 'number' ? { duration: record.duration } : {}),
    ...(typeof record.size === 'number' ? { size: record.size } : {}),
    ...(typeof record.reason === 'string' ? { reason: record.reason } : {}),
  };
}

/** Validates a {@link ConsentState}; undefined for junk. @internal */
export function parseConsentState(data: unknown): ConsentState | undefined {
  const value = isRecord(data) && isRecord(data.consent) ? data.consent : data;
  if (!isRecord(value) || !Array.isArray(value.entries)) return undefined;
  return {
    requested: value.requested === true,
    entries: value.entries.filter(isRecord).map((e) => ({
      userId: typeof e.userId === 'string' ? e.userId : '',
      displayName: typeof e.displayName === 'string' ? e.displayName : '',
      role: isRole(e.role) ? e.role : 'guest',
      granted: typeof e.granted === 'boolean' ? e.granted : null,
      ...(typeof e.answeredAt === 'string' ? { answeredAt: e.answeredAt } : {}),
    })),
  };
}

/** Validates the lobby list of a `lobby` event. @internal */
export function parseLobby(data: unknown): LobbyEntry[] {
  const list = isRecord(data) && Array.isArray(data.waiting) ? data.waiting : [];
  return list.filter(isRecord).flatMap((e) =>
    typeof e.userId === 'string'
      ? [
          {
            userId: e.userId,
            displayName: typeof e.displayName === 'string' ? e.displayName : 'Guest',
            role: isRole(e.role) ? e.role : 'guest',
            since: typeof e.since === 'string' ? e.since : '',
          },
        ]
      : [],
  );
}
