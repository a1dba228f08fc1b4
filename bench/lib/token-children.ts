/**
 * The processes of the `token-server` benchmark, one server each so that `process.cpuUsage()` of a
 * child is that server's CPU and nothing else:
 *
 * - `media`: the embedded dev media server (OpenVidu 2 REST API), shared by every token server.
 * - `consultkit`: the reference token server (demo auth, audit on, rate limit off) on in-memory
 *   PGlite, or on PostgreSQL when `DATABASE_URL` is set.
 * - `tutorial`: the pattern of OpenVidu's own tutorials (openvidu-basic-node): an Express app with
 *   `openvidu-node-client`, `POST /api/sessions` (createSession) and
 *   `POST /api/sessions/:sessionId/connections` (find the session in `activeSessions`, createConnection,
 *   answer the token); no auth, no storage, no rate limit.
 *
 * Each child talks to the parent over IPC: `ready` once listening, `cpu` answers, `close` ends it.
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export type ChildRole = 'media' | 'consultkit' | 'tutorial';

const START_TIMEOUT_MS = 120_000;

type ToChild = { type: 'cpu'; id: number } | { type: 'close' };
type FromChild =
  | { type: 'ready'; url: string; secret?: string }
  | { type: 'cpu'; id: number; us: number }
  | { type: 'error'; message: string };

export interface Child {
  role: ChildRole;
  url: string;
  /** The media server's OpenVidu secret (`media` only). */
  secret: string | undefined;
  pid: number;
  /** CPU time (user + system) of the child so far, microseconds. */
  cpuUs(): Promise<number>;
  close(): Promise<void>;
}

const reply = (msg: FromChild): void => {
  process.send?.(msg);
};

async function startRole(
  role: ChildRole,
): Promise<{ url: string; secret?: string; close(): Promise<void> }> {
  const env = process.env;
  if (role === 'media') {
    const { startDevMediaServer } = await import('../../server/dev-media-server/index.js');
    const media = await startDevMediaServer({ port: 0, recording: false });
    return { url: media.url, secret: media.secret, close: () => media.close() };
  }
  const openviduUrl = env['OPENVIDU_URL'] as string;
  const openviduSecret = env['OPENVIDU_SECRET'] as string;
  if (role === 'consultkit') {
    const { startTokenServer, silentLogger, createJsonLogger } =
      await import('../../server/token-server/index.js');
    const tokens = await startTokenServer({
      port: 0,
      host: '127.0.0.1',
      openviduUrl,
      openviduSecret,
      demo: true,
      rateLimit: false,
      // Like the tutorial's client (axios, no timeout): a loaded machine must not turn into 503s.
      openviduTimeoutMs: 60_000,
      // Warnings (e.g. why OpenVidu was unavailable) only with BENCH_TOKEN_VERBOSE.
      logger: env['BENCH_TOKEN_VERBOSE'] ? createJsonLogger('warn') : silentLogger,
      ...(env['DATABASE_URL'] ? { databaseUrl: env['DATABASE_URL'] } : {}),
      env: {},
    });
    return { url: tokens.url, close: () => tokens.close() };
  }
  // The tutorial pattern, as openvidu-basic-node writes it (Express 5, openvidu-node-client 2.32).
  const { default: express } = await import('express');
  const { OpenVidu } = await import('openvidu-node-client');
  const openvidu = new OpenVidu(openviduUrl, openviduSecret);
  const app = express();
  app.use(express.json());
  app.post('/api/sessions', async (req, res) => {
    const session = await openvidu.createSession(req.body as Record<string, unknown>);
    res.send(session.sessionId);
  });
  app.post('/api/sessions/:sessionId/connections', async (req, res) => {
    const session = openvidu.activeSessions.find((s) => s.sessionId === req.params.sessionId);
    if (!session) {
      res.status(404).send();
    } else {
      const connection = await session.createConnection(req.body as Record<string, unknown>);
      res.send(connection.token);
    }
  });
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Runs in the child: starts the role's server and serves the parent's IPC requests. */
export async function runChild(role: ChildRole): Promise<void> {
  try {
    const started = await startRole(role);
    const shutdown = async (): Promise<void> => {
      await started.close().catch(() => undefined);
      process.exit(0);
    };
    process.on('message', (raw) => {
      const msg = raw as ToChild;
      if (msg.type === 'cpu') {
        const cpu = process.cpuUsage();
        reply({ type: 'cpu', id: msg.id, us: cpu.user + cpu.system });
      } else void shutdown();
    });
    process.on('disconnect', () => void shutdown());
    reply({
      type: 'ready',
      url: started.url,
      ...(started.secret !== undefined ? { secret: started.secret } : {}),
    });
  } catch (error) {
    reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
}

/** Forks `entry --child <role>` with `env` added; resolves once it listens. */
export async function startChild(
  entry: string,
  role: ChildRole,
  env: Record<string, string> = {},
): Promise<Child> {
  const child = fork(fileURLToPath(entry), ['--child', role], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env['BENCH_TOKEN_CPU_PROF'] && role === 'consultkit'
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_TOKEN_CPU_PROF']}`]
        : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', role === 'tutorial' ? 'ignore' : 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (us: number) => void>();
  let next = 0;
  const ready = await new Promise<{ url: string; secret?: string }>((resolve, reject) => {
    // Loading the server under tsx on a busy 2-core machine has taken more than a minute.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} child did not start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.on('message', (raw) => {
      const msg = raw as FromChild;
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve(msg);
      } else if (msg.type === 'cpu') {
        pending.get(msg.id)?.(msg.us);
        pending.delete(msg.id);
      } else {
        clearTimeout(timer);
        reject(new Error(`${role} child: ${msg.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} child exited with ${code}`));
    });
  });
  return {
    role,
    url: ready.url,
    secret: ready.secret,
    pid: child.pid ?? 0,
    cpuUs: () =>
      new Promise<number>((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(
          () => reject(new Error(`no CPU sample from ${role} within 10 s`)),
          10_000,
        );
        pending.set(id, (us) => {
          clearTimeout(timer);
          resolve(us);
        });
        child.send({ type: 'cpu', id } satisfies ToChild);
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'close' } satisfies ToChild);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
