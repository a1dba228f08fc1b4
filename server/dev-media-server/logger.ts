/**
 * Structured logging for the dev media server. Everything goes through an injected {@link Logger}; the
 * default is silent so tests and embedding apps stay quiet. Callers must never pass the secret, signal
 * data, participant metadata or SDP in `data` (ids, counts, codes and reasons only).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, data?: object): void;
  info(msg: string, data?: object): void;
  warn(msg: string, data?: object): void;
  error(msg: string, data?: object): void;
}

const noop = (): void => {};

/** A logger that drops everything (the default). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A logger writing one JSON object per line: `{"time":…,"level":…,"msg":…,…data}`.
 * @param write sink for a complete line (default: stderr)
 * @param minLevel lowest level written (default `info`)
 */
export function createJsonLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
  minLevel: LogLevel = 'info',
): Logger {
  const min = LEVELS[minLevel];
  const emit =
    (level: LogLevel) =>
    (msg: string, data?: object): void => {
      if (LEVELS[level] < min) return;
      write(
        `${JSON.stringify({ time: new Date().toISOString(), level, msg, component: 'dev-media-server', ...data })}\n`,
      );
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
