/**
 * The dev media server alone in a child process, so that `process.cpuUsage()` here is the server's CPU
 * and nothing else. Talks to its parent over IPC: it sends `ready` once listening, answers `stats`
 * requests with its CPU time and router counters, and closes on `close` (or when the parent goes).
 * Started by {@link startServerChild}; not run directly.
 */
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { DevMediaServerOptions } from '../../server/dev-media-server/index.js';
import type { MediaStats } from '../../server/dev-media-server/media/types.js';

export interface ServerSample {
  /** process.cpuUsage() of the server process, microseconds. */
  userUs: number;
  systemUs: number;
  /** performance.timeOrigin + performance.now() in the server process, ms. */
  wallMs: number;
  media: MediaStats;
  participants: number;
  rssBytes: number;
  /** Event-loop delay since the previous sample (ms): p99 and max. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

type ToChild = { type: 'stats'; id: number } | { type: 'close' };
type FromChild =
  | { type: 'ready'; url: string; secret: string }
  | { type: 'stats'; id: number; sample: ServerSample }
  | { type: 'error'; message: string };

export interface ServerChild {
  url: string;
  secret: string;
  pid: number;
  sample(): Promise<ServerSample>;
  close(): Promise<void>;
}

/** Options passed to `startDevMediaServer` in the child (must be JSON-serialisable). */
export type ServerChildOptions = Pick<DevMediaServerOptions, 'announcedIp' | 'icePortRange'>;

const self = fileURLToPath(import.meta.url);

/** Forks this file under tsx and waits for the server to listen (bounded). */
export async function startServerChild(options: ServerChildOptions = {}): Promise<ServerChild> {
  const child = fork(self, ['--child', JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (s: ServerSample) => void>();
  let nextId = 0;
  const ready = await new Promise<{ url: string; secret: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('server child did not start within 30 s'));
    }, 30_000);
    child.on('message', (raw) => {
      const msg = raw as FromChild;
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve({ url: msg.url, secret: msg.secret });
      } else if (msg.type === 'stats') {
        pending.get(msg.id)?.(msg.sample);
        pending.delete(msg.id);
      } else {
        clearTimeout(timer);
        reject(new Error(`server child: ${msg.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server child exited with ${code}`));
    });
  });
  const send = (msg: ToChild): void => {
    child.send(msg);
  };
  return {
    ...ready,
    pid: child.pid ?? -1,
    sample: () =>
      new Promise<ServerSample>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('server child did not answer a stats request within 10 s'));
        }, 10_000);
        pending.set(id, (sample) => {
          clearTimeout(timer);
          resolve(sample);
        });
        send({ type: 'stats', id });
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function runChild(options: ServerChildOptions): Promise<void> {
  const { startDevMediaServer } = await import('../../server/dev-media-server/index.js');
  const server = await startDevMediaServer({ port: 0, recording: false, ...options });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const reply = (msg: FromChild): void => {
    process.send?.(msg);
  };
  process.on('message', (raw) => {
    const msg = raw as ToChild;
    if (msg.type === 'stats') {
      const cpu = process.cpuUsage();
      const stats = server.stats();
      reply({
        type: 'stats',
        id: msg.id,
        sample: {
          userUs: cpu.user,
          systemUs: cpu.system,
          wallMs: performance.timeOrigin + performance.now(),
          media: stats.media,
          participants: stats.participants,
          rssBytes: process.memoryUsage.rss(),
          loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
          loopDelayMaxMs: loopDelay.max / 1e6,
        },
      });
      loopDelay.reset();
    } else {
      void server.close().finally(() => process.exit(0));
    }
  });
  // The parent went away (crash, Ctrl-C): do not linger.
  process.on('disconnect', () => {
    void server.close().finally(() => process.exit(0));
  });
  reply({ type: 'ready', url: server.url, secret: server.secret });
}

if (process.argv[2] === '--child') {
  runChild(JSON.parse(process.argv[3] ?? '{}') as ServerChildOptions).catch((error: unknown) => {
    process.send?.({
      type: 'error',
      message: error instanceof Error ? error.message : String(error),
    } satisfies FromChild);
    process.exit(1);
  });
}
