/**
 * The one logger: JSON lines on stdout, pretty when stdout is a TTY (or LOG_PRETTY=1).
 * Tokens never reach the output: known fields are censored and `token=` in any URL is masked.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

const redactPaths = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

/** Masks `token=…` query values in a URL or path, for logging. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#\s]*/gi, '$1[redacted]');
}

export interface LoggerOptions {
  level?: string;
  /** Write here instead of stdout (tests capture lines this way). */
  destination?: DestinationStream;
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const base = {
    level,
    base: { service: 'tutorboard' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
    hooks: {
      // Any string argument (message or field) that carries a query token is masked.
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactUrl(a) : a)));
      },
    },
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(base);
}
