/**
 * What the three commands of `consult-kit` (`dev-server`, `token-server`, `demo`) take from their
 * caller: output sinks, the environment and when to stop. Tests pass all of it; the real CLI passes
 * nothing and gets stdout, stderr, `process.env` and SIGINT/SIGTERM.
 */

/** A command's I/O; `Info` is what `onListening` receives once the command serves. */
export interface CliIo<Info = { url: string; port: number }> {
  /** Standard output (default `process.stdout`). */
  out?: (text: string) => void;
  /** Standard error (default `process.stderr`). */
  err?: (text: string) => void;
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Resolves when the command should stop (default: SIGINT or SIGTERM). */
  untilStopped?: Promise<void>;
  /** Called once the command listens (tests). */
  onListening?: (info: Info) => void;
}

/** `io` with its defaults filled in (`untilStopped` is left to {@link untilStopped}). */
export function cliOutput(io: CliIo<never>): {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
} {
  return {
    out: io.out ?? ((text) => void process.stdout.write(text)),
    err: io.err ?? ((text) => void process.stderr.write(text)),
    env: io.env ?? process.env,
  };
}

/**
 * Resolves when the command should stop: `io.untilStopped`, else the first SIGINT or SIGTERM.
 * With `exitOnSecondSignal`, a second Ctrl+C while the command closes quits at once.
 */
export function untilStopped(
  io: CliIo<never>,
  options: { exitOnSecondSignal?: boolean } = {},
): Promise<void> {
  if (io.untilStopped) return io.untilStopped;
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (options.exitOnSecondSignal) {
        const force = (): never => process.exit(130);
        process.once('SIGINT', force);
        process.once('SIGTERM', force);
      }
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** A promise that resolves when `signal` aborts (for `untilStopped`). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}
