/**
 * `consult-kit dev-server`: starts the development media server, prints its URL and secret, and runs
 * until SIGINT/SIGTERM (or the given AbortSignal).
 */
import { parseArgs } from 'node:util';
import type { DevMediaServerOptions, IceServerOption } from './index.js';
import { createJsonLogger, startDevMediaServer, startLiveKitDevServer } from './index.js';
import { ImpairmentError, parseImpairment } from './impairment.js';
import { MEDIA_LOG_FIELDS, type LogLevel } from './logger.js';
import { normalizeOrigin } from './origins.js';
import { type CliIo, cliOutput, untilStopped } from '../shared/cli-io.js';
import { errorMessage } from '../shared/errors.js';

const HELP = `Usage: consult-kit dev-server [options]

Starts an OpenVidu 2.32-compatible development media server (REST, WebSocket, recordings).

Options:
  --port <n>                 TCP port (default 4443; 0 = any free port)
  --host <addr>              Interface to bind (default 127.0.0.1; 0.0.0.0 with --public-ip)
  --secret <s>               OpenVidu secret (default MY_SECRET on a loopback host, a random one
                             printed below otherwise; MY_SECRET is refused off loopback)
  --allowed-origins <list>   Comma-separated browser origins allowed by CORS and for WebSockets,
                             e.g. https://portal.example (env DEV_SERVER_ALLOWED_ORIGINS; default any)
  --public-url <url>         URL browsers use, e.g. https://my.host:4443 (default http://localhost:<port>)
  --public-ip <ip>           IP announced in ICE candidates (LAN demos); also the default public URL host
  --ice-port-range <a-b>     UDP port range for ICE, e.g. 40000-40100
  --ice-server <url[,user,credential]>
                             STUN/TURN server for browsers and the media plane (repeatable)
  --recordings-dir <dir>     Recording (LiveKit mode: egress file) folder (default ./recordings)
  --no-recording             Disable the recording API (501)
  --webhook-url <url>        POST webhook events there (LiveKit mode: LiveKit's, signed with the key pair)
  --webhook-header <h: v>    Header sent with webhooks (repeatable)
  --impair <spec>            Impair every connection's media path, e.g.
                             loss=5%,delay=200ms,jitter=30ms,rate=300kbit (per direction; any
                             subset; change it at run time with PUT /openvidu/api/dev/impairment)
  --log-level <level>        debug | info | warn | error (default info; JSON lines on stderr)
  --protocol <p>             openvidu (default) or livekit: LiveKit signalling for livekit-client
                             (port 7880 by default; --port, --host, --public-url, --public-ip,
                             --ice-port-range, --ice-server, --recordings-dir, --webhook-url,
                             --webhook-header and --log-level apply)
  --api-key <k>              LiveKit mode: API key (env LIVEKIT_API_KEY; default devkey on loopback)
  --api-secret <s>           LiveKit mode: API secret (env LIVEKIT_API_SECRET; default secret on
                             loopback, a random one printed below otherwise; "secret" is refused
                             off loopback)
  -h, --help                 Show this help`;

/** Options the LiveKit mode does not have. */
const OPENVIDU_ONLY = ['secret', 'allowed-origins', 'no-recording', 'impair'] as const;

/** I/O of `consult-kit dev-server`; `onListening` also gets the secret. */
export type DevServerCliIo = CliIo<{ url: string; secret: string; port: number }>;

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

function parseIceServer(spec: string): IceServerOption {
  const [urls = '', username, credential] = spec.split(',');
  if (!/^(stun|stuns|turn|turns):/.test(urls)) {
    throw new CliUsageError(
      `--ice-server must start with stun:, stuns:, turn: or turns: (got "${urls}")`,
    );
  }
  return {
    urls,
    ...(username ? { username } : {}),
    ...(credential ? { credential } : {}),
  };
}

function parsePort(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CliUsageError(`${name} must be a port number`);
  return n;
}

function parseOrigins(list: string, source: string): string[] {
  const origins = list
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of origins) {
    try {
      normalizeOrigin(origin);
    } catch (e) {
      throw new CliUsageError(`${source}: ${errorMessage(e)}`);
    }
  }
  return origins;
}

/** Parses `argv` (and `env`) into server options; `help: true` when help was asked for. */
export function parseDevServerArgs(
  argv: string[],
  env: Record<string, string | undefined> = {},
): {
  help: boolean;
  options: DevMediaServerOptions;
  logLevel: LogLevel;
  protocol: 'openvidu' | 'livekit';
  livekit: { apiKey?: string; apiSecret?: string };
} {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        secret: { type: 'string' },
        'allowed-origins': { type: 'string' },
        'public-url': { type: 'string' },
        'public-ip': { type: 'string' },
        'ice-port-range': { type: 'string' },
        'ice-server': { type: 'string', multiple: true },
        'recordings-dir': { type: 'string' },
        'no-recording': { type: 'boolean' },
        'webhook-url': { type: 'string' },
        'webhook-header': { type: 'string', multiple: true },
        'log-level': { type: 'string' },
        impair: { type: 'string' },
        protocol: { type: 'string' },
        'api-key': { type: 'string' },
        'api-secret': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new CliUsageError(errorMessage(err));
  }
  const v = parsed.values;
  const protocol = v.protocol ?? 'openvidu';
  if (protocol !== 'openvidu' && protocol !== 'livekit')
    throw new CliUsageError('--protocol must be openvidu or livekit');
  const livekit: { apiKey?: string; apiSecret?: string } = {};
  if (protocol === 'livekit') {
    for (const name of OPENVIDU_ONLY)
      if (v[name] !== undefined)
        throw new CliUsageError(`--${name} is not available with --protocol livekit`);
    const apiKey = v['api-key'] ?? env['LIVEKIT_API_KEY'];
    const apiSecret = v['api-secret'] ?? env['LIVEKIT_API_SECRET'];
    if (apiKey === '' || apiSecret === '')
      throw new CliUsageError('the LiveKit API key and secret must not be empty');
    if (apiKey !== undefined) livekit.apiKey = apiKey;
    if (apiSecret !== undefined) livekit.apiSecret = apiSecret;
  } else if (v['api-key'] !== undefined || v['api-secret'] !== undefined) {
    throw new CliUsageError('--api-key and --api-secret need --protocol livekit');
  }
  const options: DevMediaServerOptions = {};
  if (v.port !== undefined) options.port = parsePort(v.port, '--port');
  if (v.secret !== undefined) {
    if (v.secret === '') throw new CliUsageError('--secret must not be empty');
    options.secret = v.secret;
  }
  if (v['public-ip'] !== undefined) {
    options.announcedIp = v['public-ip'];
    options.host = '0.0.0.0';
  }
  if (v.host !== undefined) options.host = v.host;
  if (v['allowed-origins'] !== undefined)
    options.allowedOrigins = parseOrigins(v['allowed-origins'], '--allowed-origins');
  else if (env['DEV_SERVER_ALLOWED_ORIGINS'])
    options.allowedOrigins = parseOrigins(
      env['DEV_SERVER_ALLOWED_ORIGINS'],
      'DEV_SERVER_ALLOWED_ORIGINS',
    );
  if (v['public-url'] !== undefined) {
    try {
      const u = new URL(v['public-url']);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new CliUsageError('--public-url must be an http:// or https:// URL');
    }
    options.publicUrl = v['public-url'];
  }
  if (v['ice-port-range'] !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(v['ice-port-range']);
    const a = m ? parsePort(m[1] ?? '', '--ice-port-range') : NaN;
    const b = m ? parsePort(m[2] ?? '', '--ice-port-range') : NaN;
    if (!m || a > b || a === 0)
      throw new CliUsageError('--ice-port-range must look like 40000-40100');
    options.icePortRange = [a, b];
  }
  if (v['ice-server']) options.iceServers = v['ice-server'].map(parseIceServer);
  if (v['recordings-dir'] !== undefined) options.recordingsDir = v['recordings-dir'];
  if (v['no-recording']) options.recording = false;
  if (v['webhook-url'] !== undefined) {
    options.webhook = { url: v['webhook-url'], headers: v['webhook-header'] ?? [] };
  }
  if (v.impair !== undefined) {
    try {
      options.impairment = parseImpairment(v.impair);
    } catch (e) {
      if (!(e instanceof ImpairmentError)) throw e;
      throw new CliUsageError(`--impair: ${e.message}`);
    }
  }
  const logLevel = (v['log-level'] ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new CliUsageError('--log-level must be debug, info, warn or error');
  }
  return { help: v.help === true, options, logLevel, protocol, livekit };
}

function impairmentLine(i: DevMediaServerOptions['impairment']): string {
  if (!i) return '';
  const knobs = [
    i.lossPercent ? `loss ${i.lossPercent}%` : '',
    i.delayMs ? `delay ${i.delayMs} ms` : '',
    i.jitterMs ? `jitter ${i.jitterMs} ms` : '',
    i.rateKbps ? `rate ${i.rateKbps} kbit/s` : '',
  ].filter(Boolean);
  return `  Impair: ${knobs.join(', ')} on every connection (each direction)\n`;
}

/** Runs the dev server until interrupted; resolves with the process exit code. */
export async function runDevServerCli(argv: string[], io: DevServerCliIo = {}): Promise<number> {
  const { out, err, env } = cliOutput(io);
  let parsed: ReturnType<typeof parseDevServerArgs>;
  try {
    parsed = parseDevServerArgs(argv, env);
  } catch (e) {
    if (e instanceof CliUsageError) {
      err(`consult-kit dev-server: ${e.message}\n\n${HELP}\n`);
      return 2;
    }
    throw e;
  }
  if (parsed.help) {
    out(`${HELP}\n`);
    return 0;
  }
  const logger = createJsonLogger(parsed.logLevel, (line) => err(`${line}\n`), MEDIA_LOG_FIELDS);
  if (parsed.protocol === 'livekit') return runLiveKitMode(parsed, logger, io);
  let server;
  try {
    server = await startDevMediaServer({ ...parsed.options, logger });
  } catch (e) {
    const code = (e as { code?: string }).code;
    err(
      `consult-kit dev-server: could not start: ${
        code === 'EADDRINUSE'
          ? `port ${parsed.options.port ?? 4443} is already in use`
          : e instanceof Error
            ? e.message
            : String(e)
      }\n`,
    );
    return 1;
  }
  out(
    `OpenVidu-compatible dev media server running\n  URL:    ${server.url}\n  Secret: ${server.secret}${
      server.secretGenerated ? ' (generated for this run)' : ''
    }\n${impairmentLine(parsed.options.impairment)}`,
  );
  io.onListening?.({ url: server.url, secret: server.secret, port: server.port });

  await untilStopped(io);
  await server.close();
  return 0;
}

/** `--protocol livekit`: the LiveKit mode until interrupted. */
async function runLiveKitMode(
  parsed: ReturnType<typeof parseDevServerArgs>,
  logger: ReturnType<typeof createJsonLogger>,
  io: DevServerCliIo,
): Promise<number> {
  const { out, err } = cliOutput(io);
  const o = parsed.options;
  let server;
  try {
    server = await startLiveKitDevServer({
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.publicUrl !== undefined ? { publicUrl: o.publicUrl } : {}),
      ...(o.announcedIp !== undefined ? { announcedIp: o.announcedIp } : {}),
      ...(o.icePortRange !== undefined ? { icePortRange: o.icePortRange } : {}),
      ...(o.iceServers !== undefined ? { iceServers: o.iceServers } : {}),
      ...(o.recordingsDir !== undefined ? { recordingsDir: o.recordingsDir } : {}),
      ...(o.webhook ? { webhook: { url: o.webhook.url, headers: o.webhook.headers ?? [] } } : {}),
      ...parsed.livekit,
      logger,
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    err(
      `consult-kit dev-server: could not start: ${
        code === 'EADDRINUSE' ? `port ${o.port ?? 7880} is already in use` : errorMessage(e)
      }\n`,
    );
    return 1;
  }
  out(
    `LiveKit-compatible dev media server running\n  URL:        ${server.wsUrl}\n  API key:    ${server.apiKey}\n  API secret: ${server.apiSecret}${
      server.credentialsGenerated ? ' (generated for this run)' : ''
    }\n`,
  );
  io.onListening?.({ url: server.url, secret: server.apiSecret, port: server.port });
  await untilStopped(io);
  await server.close();
  return 0;
}
