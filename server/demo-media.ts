/**
 * The media side of the demo, on either backend:
 *
 * - `openvidu` (default): the embedded dev media server in its OpenVidu 2 mode (port 4443), or a
 *   real OpenVidu 2 deployment (`OPENVIDU_URL`, `OPENVIDU_SECRET`); its webhooks reach the token
 *   server at `/api/openvidu/webhook` with a shared secret;
 * - `livekit`: the embedded dev media server in its LiveKit mode (port 7880, LiveKit's dev key pair
 *   `devkey`/`secret` on loopback: signalling, Twirp room service, room composite egress to MP4
 *   served under `/egress-files/`), or a real LiveKit / LiveKit Cloud / OpenVidu 3 (`LIVEKIT_URL`,
 *   `LIVEKIT_API_KEY`, `LIVEKIT_API_SECRET`); its signed webhooks reach `/api/livekit/webhook`.
 *
 * {@link startDemoMedia} answers what the token server needs to use it (its options) and what the
 * portal's Content-Security-Policy must allow (the URL browsers connect to).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { DevMediaServer, LiveKitDevServer } from './dev-media-server/index.js';
import { startDevMediaServer } from './dev-media-server/index.js';
import { MEDIA_LOG_FIELDS, silentLogger } from './dev-media-server/logger.js';
import type { TokenServerOptions } from './token-server/index.js';
import { createJsonLogger } from './token-server/index.js';
import type { LogLevel } from './token-server/logger.js';

/** The media backends the demo runs on. */
export const DEMO_BACKENDS = ['openvidu', 'livekit'] as const;
export type DemoBackend = (typeof DEMO_BACKENDS)[number];

/** Default port of the embedded media server per backend (OpenVidu's and LiveKit's own). */
export const DEFAULT_MEDIA_PORTS: Record<DemoBackend, number> = { openvidu: 4443, livekit: 7880 };

/** `value` as a backend; anything else throws a message that says how to choose one. */
export function parseDemoBackend(value: unknown, source: string): DemoBackend {
  if ((DEMO_BACKENDS as readonly unknown[]).includes(value)) return value as DemoBackend;
  throw new Error(
    `${source} must be "openvidu" or "livekit" (got ${JSON.stringify(value)}). ` +
      'Run "npm start -- --backend livekit" (or MEDIA_BACKEND=livekit npm start) for LiveKit, ' +
      'or leave it out for OpenVidu 2.',
  );
}

/** A port that is taken; `flag`/`env` say how to choose another. */
export class DemoPortInUseError extends Error {
  override readonly name = 'DemoPortInUseError';
  constructor(
    readonly port: number,
    readonly what: string,
    readonly flag: string,
    readonly env: string,
  ) {
    super(`Port ${port} (${what}) is already in use.`);
  }
}

/** A real media server instead of the embedded one. */
export type ExternalMedia =
  | { backend: 'openvidu'; url: string; secret: string }
  | {
      backend: 'livekit';
      url: string;
      apiKey: string;
      apiSecret: string;
      /** Where the token server reads egress files (`LIVEKIT_RECORDINGS_URL`). */
      recordingsUrl?: string;
    };

export interface DemoMediaOptions {
  backend: DemoBackend;
  /** Port of the embedded server (default: {@link DEFAULT_MEDIA_PORTS}). */
  port?: number;
  host: string;
  /** Origin of the token server, as the media server reaches it (webhooks). */
  tokenServerUrl: string;
  /** Shared secret of the OpenVidu webhook receiver. */
  webhookSecret: string;
  /** Folder of the embedded server's recordings. */
  recordingsDir: string;
  level: LogLevel;
  log: (line: string) => void;
  external?: ExternalMedia;
  /** Embedded server's timeouts (tests: shorter). */
  timeouts?: { reconnectWindowMs?: number; socketCloseDelayMs?: number };
}

export interface DemoMedia {
  backend: DemoBackend;
  /** The URL browsers connect to (the portal's CSP allows it). */
  url: string;
  /** The embedded server, when it runs. */
  server: DevMediaServer | LiveKitDevServer | undefined;
  /** What the token server needs to use this media server. */
  tokenServer: Pick<
    TokenServerOptions,
    'mediaBackend' | 'openviduUrl' | 'openviduSecret' | 'livekit' | 'webhook'
  >;
  close(): Promise<void>;
}

const isAddrInUse = (e: unknown): boolean => (e as { code?: unknown }).code === 'EADDRINUSE';

/** Starts (or points at) the media server of `options.backend`. */
export async function startDemoMedia(options: DemoMediaOptions): Promise<DemoMedia> {
  const { backend, external } = options;
  if (external && external.backend !== backend)
    throw new Error(`the external media server is ${external.backend}, the backend ${backend}`);
  const webhook = { secret: options.webhookSecret };
  if (external?.backend === 'openvidu') {
    const url = external.url.replace(/\/+$/, '');
    return {
      backend,
      url,
      server: undefined,
      tokenServer: { openviduUrl: url, openviduSecret: external.secret, webhook },
      close: () => Promise.resolve(),
    };
  }
  if (external?.backend === 'livekit') {
    const { url, apiKey, apiSecret, recordingsUrl } = external;
    return {
      backend,
      url,
      server: undefined,
      tokenServer: {
        mediaBackend: 'livekit',
        livekit: { url, apiKey, apiSecret, ...(recordingsUrl ? { recordingsUrl } : {}) },
      },
      close: () => Promise.resolve(),
    };
  }
  const port = options.port ?? DEFAULT_MEDIA_PORTS[backend];
  const logger =
    options.level === 'silent'
      ? silentLogger
      : createJsonLogger(options.level, options.log, MEDIA_LOG_FIELDS);
  const recordingsDir = resolve(options.recordingsDir);
  try {
    if (backend === 'livekit') {
      const server = await startDevMediaServer({
        protocol: 'livekit',
        port,
        host: options.host,
        recordingsDir,
        webhook: { url: `${options.tokenServerUrl}/api/livekit/webhook`, retryBaseMs: 200 },
        logger,
        ...(options.timeouts?.reconnectWindowMs !== undefined
          ? { reconnectWindowMs: options.timeouts.reconnectWindowMs }
          : {}),
      });
      return {
        backend,
        url: server.wsUrl,
        server,
        tokenServer: {
          mediaBackend: 'livekit',
          livekit: {
            url: server.wsUrl,
            apiKey: server.apiKey,
            apiSecret: server.apiSecret,
            // The dev server serves the finished egress files to loopback peers.
            recordingsUrl: `${server.url}/egress-files`,
          },
        },
        close: () => server.close(),
      };
    }
    const server = await startDevMediaServer({
      port,
      host: options.host,
      secret: randomBytes(18).toString('base64url'),
      recordingsDir,
      webhook: {
        url: `${options.tokenServerUrl}/api/openvidu/webhook`,
        headers: { Authorization: `Bearer ${options.webhookSecret}` },
        retryBaseMs: 200,
      },
      logger,
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    });
    return {
      backend,
      url: server.url,
      server,
      tokenServer: { openviduUrl: server.url, openviduSecret: server.secret, webhook },
      close: () => server.close(),
    };
  } catch (e) {
    if (isAddrInUse(e))
      throw new DemoPortInUseError(port, 'media server', '--media-port', 'MEDIA_PORT');
    throw e;
  }
}
