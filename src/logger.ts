/**
 * Logging for the SDK. Nothing in `src/` calls `console` directly: every message goes through a
 * {@link Logger} the host injects. The SDK never logs chat text, display names or tokens.
 * @packageDocumentation
 */

/** Log levels, most verbose first. @public */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * What the SDK logs through. `context` holds ids and codes only (never personal data).
 * @public
 */
export interface Logger {
  debug(message: string, context?: Readonly<Record<string, unknown>>): void;
  info(message: string, context?: Readonly<Record<string, unknown>>): void;
  warn(message: string, context?: Readonly<Record<string, unknown>>): void;
  error(message: string, context?: Readonly<Record<string, unknown>>): void;
}

const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

const noop = (): void => undefined;

/**
 * A logger that drops everything; the default.
 * @public
 */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** A sink receiving one line; `console`-compatible. @public */
export type LogSink = (
  level: LogLevel,
  message: string,
  context?: Readonly<Record<string, unknown>>,
) => void;

/**
 * A logger that forwards messages at `minLevel` and above to `sink` (by default the host console).
 * @example
 * ```ts
 * createConsultClient({ tokenUrl: '/api', logger: createLogger('info') });
 * ```
 * @public
 */
export function createLogger(minLevel: LogLevel = 'warn', sink: LogSink = consoleSink): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, context?: Readonly<Record<string, unknown>>): void => {
      if (LEVEL_ORDER[level] >= LEVEL_ORDER[minLevel]) sink(level, `[consult] ${message}`, context);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function consoleSink(
  level: LogLevel,
  message: string,
  context?: Readonly<Record<string, unknown>>,
): void {
  // The one sanctioned console use: a logger the host opted into with createLogger().
  // eslint-disable-next-line no-console
  const write = console[level];
  if (context === undefined) write(message);
  else write(message, context);
}
