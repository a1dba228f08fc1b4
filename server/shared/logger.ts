/**
 * Structured JSON logging for both servers, through an injected {@link Logger}. Callers pass only
 * ids, codes, counts, statuses and timings: never chat text, display names, tokens, SDP, signal data
 * or the OpenVidu secret.
 */

/** The logger both servers take as an option. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Lowest level written; `silent` writes nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

const noop = (): void => undefined;

/** A logger that drops everything. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * A logger writing one JSON object per line: `{ time, level, msg, ...base, ...fields }`.
 * @param level lowest level written (default `info`)
 * @param write sink for one line, without its trailing newline (default: stdout)
 * @param base fields every line carries (e.g. `{ component: 'dev-media-server' }`)
 */
export function createJsonLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
  base: Record<string, unknown> = {},
): Logger {
  const min = LEVELS[level];
  const log =
    (lvl: Exclude<LogLevel, 'silent'>) =>
    (msg: string, fields: Record<string, unknown> = {}): void => {
      if (LEVELS[lvl] < min) return;
      write(
        JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }),
      );
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
