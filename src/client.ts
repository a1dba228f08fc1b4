/**
 * The entry point: `createConsultClient()` wires the token server, the platform and the media
 * backend, and hands out sessions.
 * @packageDocumentation
 */
import { ConsultApi, resolveEndpoints, type FetchToken, type TokenUrl } from './api.js';
import type { MediaBackend, MediaBackendFactory, MediaServerInfo } from './backend.js';
import { warnOnce } from './dev.js';
import { ConsultError } from './errors.js';
import { HttpClient, type AuthProvider, type RetryOptions } from './http.js';
import { silentLogger, type Logger } from './logger.js';
import { browserPlatform, type Platform } from './platform.js';
import type { Precheck, PrecheckOptions } from './precheck-types.js';
import type * as PrecheckModule from './precheck.js';
import { ConsultSession, type SessionOptions } from './session.js';

/** Options of {@link createConsultClient}. Give `tokenUrl` or `fetchToken`. @public */
export interface ConsultClientOptions {
  /**
   * The token server. A string without `{consultId}` is the API base (e.g. `https://portal/api`):
   * the token is `POST {base}/consults/{consultId}/token` and the other endpoints (events, messages,
   * recordings, lobby) live under `{base}/consults/{consultId}/…`. A string with `{consultId}` is
   * the token URL itself (its base is what precedes `/consults/{consultId}/token`, if it ends so).
   * A function returns the token URL.
   */
  tokenUrl?: TokenUrl;
  /** A custom token source instead of `tokenUrl`. */
  fetchToken?: FetchToken;
  /** API base for events, history, recordings and lobby when `tokenUrl` does not give one. */
  apiUrl?: string;
  /** URL (or `{consultId}` template, or function) of the event stream; default `{base}/consults/{id}/events`. */
  eventsUrl?: string | ((consultId: string) => string);
  /** The portal's bearer token, or a function called before every request (so it can refresh). */
  auth?: AuthProvider;
  /** `fetch` to use (default: the platform's). */
  fetch?: typeof fetch;
  /** Where the SDK logs; default silent. */
  logger?: Logger;
  /** Host dependencies; default {@link browserPlatform}, read when the client is created. */
  platform?: Platform;
  /**
   * Media backend factory; the default loads the adapter the token server's answer names
   * (`backend`: OpenVidu unless it says `livekit`) on demand.
   */
  backend?: MediaBackendFactory;
  /** Per-attempt timeout of token-server requests in ms. Default 10000. */
  timeoutMs?: number;
  /** Retry policy of idempotent token-server requests. */
  retry?: RetryOptions;
}

/** Options of {@link ConsultClient.join}. @public */
export type JoinOptions = SessionOptions;

/**
 * Creates sessions against one token server.
 * @public
 */
export interface ConsultClient {
  /** Creates a session without connecting (show a preview, then call `session.connect()`). */
  createSession(consultId: string, options?: SessionOptions): ConsultSession;
  /**
   * Creates a session and connects it. Resolves with the connected session; rejects with a
   * {@link ConsultError} (`aborted` when `options.signal` aborts), leaving nothing running.
   */
  join(consultId: string, options?: JoinOptions): Promise<ConsultSession>;
  /**
   * Starts a pre-call test: camera, microphone, and the network through the media server, in a
   * throwaway session from the token server (`POST {base}/precheck`, no consultation needed).
   * Resolves once its module is loaded and the test has started; read `state`, listen with `on`,
   * await `result`, and `dispose()` it. Works without `auth` where the token server allows
   * anonymous tests.
   * @remarks Loaded on demand, so apps that never test stay small.
   */
  precheck(options?: PrecheckOptions): Promise<Precheck>;
}

/**
 * Loads the adapter the token server's answer names, lazily, so openvidu-browser and
 * livekit-client are chunks of their own that only load when used. @internal
 */
export const defaultBackendFactory: MediaBackendFactory = async (
  server: MediaServerInfo = { backend: 'openvidu' },
): Promise<MediaBackend> => {
  try {
    if (server.backend === 'livekit') {
      const { createLiveKitBackend } = await import('./backends/livekit.js');
      return createLiveKitBackend({ url: server.url ?? '' });
    }
    const { createOpenViduBackend } = await import('./backends/openvidu.js');
    return createOpenViduBackend();
  } catch (error) {
    throw ConsultError.from(error, 'unsupported-browser');
  }
};
// OpenVidu is the default media server: its chunk loads while the token is requested (the import
// above then resolves from the module cache). A LiveKit token loads livekit-client only then.
defaultBackendFactory.preload = (): void => {
  import('./backends/openvidu.js').catch(() => undefined);
};

/**
 * Creates a ConsultKit client.
 * @example
 * ```ts
 * const client = createConsultClient({ tokenUrl: 'https://portal.example/api', auth: () => getAccessToken() });
 * const session = await client.join('consult-123', { displayName: 'Ann' });
 * session.subscribe((state) => render(state));
 * ```
 * @public
 */
export function createConsultClient(options: ConsultClientOptions): ConsultClient {
  if (typeof options !== 'object' || options === null) throw new TypeError('options are required');
  if (options.tokenUrl === undefined && options.fetchToken === undefined) {
    throw new TypeError('createConsultClient needs tokenUrl or fetchToken');
  }
  if (options.tokenUrl !== undefined && options.fetchToken !== undefined) {
    warnOnce(
      'token-source-conflict',
      'Both tokenUrl and fetchToken are set; fetchToken is used for tokens.',
    );
  }
  const platformBase = options.platform ?? browserPlatform();
  const platform: Platform = options.fetch
    ? { ...platformBase, fetch: options.fetch }
    : platformBase;
  const logger = options.logger ?? silentLogger;
  const http = new HttpClient({
    fetch: platform.fetch,
    clock: platform.clock,
    logger,
    ...(options.auth !== undefined ? { auth: options.auth } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const endpoints = resolveEndpoints({
    ...(options.tokenUrl !== undefined ? { tokenUrl: options.tokenUrl } : {}),
    ...(options.apiUrl !== undefined ? { apiUrl: options.apiUrl } : {}),
    ...(options.eventsUrl !== undefined ? { eventsUrl: options.eventsUrl } : {}),
  });
  const backendFactory = options.backend ?? defaultBackendFactory;
  const random = options.retry?.random;

  const createSession = (
    consultId: string,
    sessionOptions: SessionOptions = {},
  ): ConsultSession => {
    if (typeof consultId !== 'string' || consultId === '')
      throw new TypeError('consultId must be a non-empty string');
    const api = new ConsultApi(consultId, http, endpoints, options.fetchToken);
    return new ConsultSession(
      consultId,
      { api, backendFactory, platform, logger, ...(random ? { random } : {}) },
      sessionOptions,
    );
  };

  return {
    createSession,
    async precheck(precheckOptions) {
      let mod: typeof PrecheckModule;
      try {
        mod = await import('./precheck.js');
      } catch (error) {
        throw ConsultError.from(error, 'network-error');
      }
      return mod.startPrecheck(
        { http, apiBase: endpoints.base, backendFactory, platform, logger },
        precheckOptions,
      );
    },
    async join(consultId, joinOptions = {}) {
      const session = createSession(consultId, joinOptions);
      await session.connect(joinOptions.signal ? { signal: joinOptions.signal } : {});
      return session;
    },
  };
}
