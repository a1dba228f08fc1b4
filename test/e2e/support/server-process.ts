// A reference token server as its own process (`consult-kit token-server`, run from the sources
// through tsx), so an end-to-end test can SIGKILL one instance as a crash would: no graceful
// shutdown, no `retry:` hint, its sockets simply gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/consult-kit.mjs', import.meta.url));

export interface TokenServerProcess {
  readonly url: string;
  readonly pid: number;
  /** Everything the process printed (JSON log lines, errors). */
  output(): string;
  /** Sends `signal` and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface TokenServerProcessOptions {
  /** Command-line flags after `token-server` (`--port 0` is added). */
  args: string[];
  /** Environment on top of this process's PATH/HOME (nothing else is inherited). */
  env: Record<string, string>;
  /** How long to wait for "listening on" (default 60 s: tsx compiles the sources on start). */
  startTimeoutMs?: number;
}

/** Starts one instance and resolves once it listens. */
export async function startTokenServerProcess(
  options: TokenServerProcessOptions,
): Promise<TokenServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'token-server', '--port', '0', ...options.args],
    {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? '/tmp',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`token server did not start within the limit:\n${out}`)),
      options.startTimeoutMs ?? 60_000,
    );
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`token server exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
  return {
    url,
    pid: child.pid as number,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
