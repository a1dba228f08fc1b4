/**
 * `consult-kit token-server [options]`: runs the reference token server until SIGINT/SIGTERM.
 * Every option also reads from the environment (see README / `--help`).
 */
import { parseArgs } from 'node:util';
import { startTokenServer } from './index.js';
import type { RunningTokenServer, StartTokenServerOptions } from './index.js';
import { runVerifyAuditCli } from './audit-cli.js';
import { createJsonLogger } from './logger.js';
import type { LogLevel } from './logger.js';
import { type CliIo, cliOutput, untilStopped } from '../shared/cli-io.js';
import { errorMessage } from '../shared/errors.js';

const HELP = `Usage: consult-kit token-server [options]
       consult-kit token-server verify-audit --data-dir <dir> [--consult <id>]

  --port <n>              Port (env PORT, default 3000; 0 = any free port)
  --host <addr>           Interface (env HOST, default 127.0.0.1)
  --openvidu-url <url>    OpenVidu base URL (env OPENVIDU_URL, default http://localhost:4443)
  --media-backend <name>  openvidu (default) or livekit (env MEDIA_BACKEND; LiveKit, OpenVidu 3)
  --livekit-url <url>     LiveKit URL browsers connect to (env LIVEKIT_URL, default
                          ws://localhost:7880 outside production; key pair: LIVEKIT_API_KEY,
                          LIVEKIT_API_SECRET, default devkey/secret outside production)
  --data-dir <dir>        PGlite data folder (env CONSULT_KIT_DATA_DIR, default in memory)
  --database-url <url>    PostgreSQL instead of PGlite: postgres://user:pass@host:5432/db
                          (env DATABASE_URL; needs the pg package; DATABASE_POOL_SIZE (10),
                          DATABASE_STATEMENT_TIMEOUT_MS (10000)). Instances sharing it scale out.
  --cors <origins>        Comma-separated allowed origins (env CORS_ORIGINS)
  --demo                  Demo mode: public demo logins, no real auth (env CONSULT_KIT_DEMO=1;
                          default off; never together with AUTH_JWT_SECRET / AUTH_JWKS_URL)
  --no-demo               Demo mode off (the default)
  --log-level <level>     debug | info | warn | error | silent (env LOG_LEVEL, default info)
  --retention-messages-days <n>    Keep chat messages n days (env RETENTION_MESSAGES_DAYS; 0 = forever, default)
  --retention-events-days <n>      Keep events n days (env RETENTION_EVENTS_DAYS, default 1)
  --retention-audit-days <n>       Keep audit entries n days (env RETENTION_AUDIT_DAYS, default 2190)
  --retention-recordings-days <n>  Keep recordings n days (env RETENTION_RECORDINGS_DAYS; 0 = forever, default)
  -h, --help              This text

Authentication (environment): AUTH_JWT_SECRET (at least 32 bytes) or AUTH_JWKS_URL, AUTH_ISSUER,
AUTH_AUDIENCE, AUTH_ROLE_CLAIM, AUTH_ROLE_MAP, AUTH_MAX_TOKEN_AGE (default 24h).
Binding users to consults (outside demo mode at least one is required):
  AUTH_CONSULT_CLAIM      JWT claim with the consult id(s) the user may act in, e.g. consult_id
  AUTHORIZE_URL           portal callback: POST { user, consultId, action }, 2xx allows;
                          AUTHORIZE_TIMEOUT_MS (2000), AUTHORIZE_CACHE_MS (10000), AUTHORIZE_SECRET
Other: OPENVIDU_SECRET, OPENVIDU_WEBHOOK_SECRET, TRUST_PROXY (trusted proxy hops, default 0).
See docs/auth.md and docs/token-server.md.
`;

/** Runs the CLI; resolves with the exit code once the server stopped (or failed to start). */
export async function runTokenServerCli(argv: string[], cliIo: CliIo = {}): Promise<number> {
  const io = cliOutput(cliIo);
  if (argv[0] === 'verify-audit') return runVerifyAuditCli(argv.slice(1), io);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'openvidu-url': { type: 'string' },
        'media-backend': { type: 'string' },
        'livekit-url': { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        cors: { type: 'string' },
        demo: { type: 'boolean' },
        'no-demo': { type: 'boolean' },
        'log-level': { type: 'string' },
        'retention-messages-days': { type: 'string' },
        'retention-events-days': { type: 'string' },
        'retention-audit-days': { type: 'string' },
        'retention-recordings-days': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    io.err(`${errorMessage(e)}\n\n${HELP}`);
    return 2;
  }
  if (values['help']) {
    io.out(HELP);
    return 0;
  }
  const env = io.env;
  const port = values['port'] !== undefined ? Number(values['port']) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    io.err(`Invalid --port ${String(values['port'])}\n`);
    return 2;
  }
  const level = (values['log-level'] ?? env['LOG_LEVEL'] ?? 'info') as LogLevel;
  const options: StartTokenServerOptions = {
    env,
    logger: createJsonLogger(level, (line) => io.out(`${line}\n`)),
    ...(port !== undefined ? { port } : {}),
    ...(typeof values['host'] === 'string' ? { host: values['host'] } : {}),
    ...(typeof values['openvidu-url'] === 'string' ? { openviduUrl: values['openvidu-url'] } : {}),
    ...(typeof values['media-backend'] === 'string'
      ? { mediaBackend: values['media-backend'] as 'openvidu' | 'livekit' }
      : {}),
    ...(typeof values['livekit-url'] === 'string'
      ? { livekit: { url: values['livekit-url'] } }
      : {}),
    ...(typeof values['data-dir'] === 'string' ? { dataDir: values['data-dir'] } : {}),
    ...(typeof values['database-url'] === 'string' ? { databaseUrl: values['database-url'] } : {}),
    ...(typeof values['cors'] === 'string'
      ? {
          corsOrigins: values['cors']
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
    ...(values['demo'] ? { demo: true } : {}),
    ...(values['no-demo'] ? { demo: false } : {}),
    retention: retentionFlags(values),
  };
  let running: RunningTokenServer;
  try {
    running = await startTokenServer(options);
  } catch (e) {
    io.err(`token server failed to start: ${errorMessage(e)}\n`);
    return 1;
  }
  io.out(`ConsultKit token server listening on ${running.url}\n`);
  cliIo.onListening?.({ url: running.url, port: running.port });
  await untilStopped(cliIo);
  await running.close();
  return 0;
}

/** `--retention-*-days` flags (checked, like the environment, when the server starts). */
function retentionFlags(
  values: Record<string, string | boolean | undefined>,
): NonNullable<StartTokenServerOptions['retention']> {
  const out: NonNullable<StartTokenServerOptions['retention']> = {};
  for (const kind of ['messages', 'events', 'audit', 'recordings'] as const) {
    const v = values[`retention-${kind}-days`];
    if (typeof v === 'string') out[`${kind}Days`] = v === '' ? NaN : Number(v);
  }
  return out;
}
