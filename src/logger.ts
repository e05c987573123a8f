/**
 * The one logger: JSON lines on stdout, one line per event also when pretty (a TTY, or
 * LOG_PRETTY=1). Tokens never reach the output, whatever carries them:
 * - known fields (`token`, `authorization`) are censored by pino's redaction;
 * - request targets are logged as their path only (`redactUrl`): a query can carry a token under
 *   any parameter name or spelling the query parser decodes (`?%74oken=`);
 * - every finished line is searched for JWT-shaped values (`eyJ….….…`) and `token=` query values,
 *   in messages, nested fields, error messages and stacks alike (`maskTokens`); a line without
 *   `eyJ` or `=` costs two substring searches.
 * Output to stdout goes through `StdoutSink`: a closed or stalled stdout never stops the server.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { prettyFactory as PrettyFactory } from 'pino-pretty';
import { StdoutSink } from './StdoutSink.ts';

export type { Logger };

const redactPaths = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

const censor = '[redacted]';

/** Runs of characters a JWT (or a URL around one) is made of; matched linearly, no backtracking. */
const tokenishRun = /[A-Za-z0-9_.-]+/g;

/** `token=` in a query, also percent-encoded (`%74oken=`, `t%6Fken=`): what URLSearchParams reads as `token`. */
const tokenParam = /([?&](?:t|%74)(?:o|%6f)(?:k|%6b)(?:e|%65)(?:n|%6e)=)[^&#\s"\\]*/gi;

/**
 * Masks every JWT-shaped value (three base64url segments, the first starting with `eyJ`, the
 * base64 of `{"`) and every `token=` query value in `text`. Linear in the text's length: an
 * attacker-chosen path full of `eyJ` cannot make a log line expensive.
 */
export function maskTokens(text: string): string {
  let out = text;
  if (out.includes('eyJ')) out = out.replace(tokenishRun, maskJwtInRun);
  if (out.includes('=')) out = out.replace(tokenParam, `$1${censor}`);
  return out;
}

/** In one run of `[A-Za-z0-9_.-]`: from the first `eyJ` followed by two dots, everything is masked. */
function maskJwtInRun(run: string): string {
  const start = run.indexOf('eyJ');
  if (start === -1) return run;
  const firstDot = run.indexOf('.', start + 3);
  if (firstDot === -1 || run.indexOf('.', firstDot + 1) === -1) return run;
  return run.slice(0, start) + censor;
}

/**
 * A request target as it may be logged: its path only, never the query or fragment, with any
 * JWT in the path (also percent-encoded) masked. Never throws, whatever the target.
 */
export function redactUrl(url: string | undefined): string {
  const raw = url ?? '';
  const end = raw.search(/[?#]/);
  const path = end === -1 ? raw : raw.slice(0, end);
  if (!path.includes('%')) return maskTokens(path);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  // Percent-encoding can hide a JWT from the mask: when the decoded path has one, log that.
  const masked = maskTokens(decoded);
  return masked === decoded ? maskTokens(path) : masked;
}

export interface LoggerOptions {
  level?: string;
  /** Write here instead of stdout (tests capture lines this way). */
  destination?: DestinationStream;
  /** One human-readable line per event instead of JSON. */
  pretty?: boolean;
  /** Bytes of log output held while stdout does not take it (LOG_BUFFER_BYTES); beyond, lines are dropped and counted. */
  maxBufferBytes?: number;
}

/** LOG_BUFFER_BYTES' default. */
export const defaultLogBufferBytes = 8 * 1024 * 1024;

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const settings = {
    level,
    base: { service: 'tutorboard' },
    redact: { paths: redactPaths, censor },
    formatters: { level: (label: string) => ({ level: label }) },
    hooks: { streamWrite: maskTokens },
  };
  const destination = options.destination ?? new StdoutSink({
    maxBufferBytes: options.maxBufferBytes ?? defaultLogBufferBytes,
    format: options.pretty ? prettyLine() : undefined,
  });
  return pino(settings, destination);
}

/**
 * pino-pretty on the main thread (a worker transport dies with its stdout and then blocks the
 * exit), one line per event: fields and errors as inline JSON, a stack's line breaks escaped.
 */
function prettyLine(): (line: string) => string {
  // Loaded only when wanted: production logs JSON, and pino-pretty with its dependencies would
  // stay in every server's memory for nothing.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as { prettyFactory: typeof PrettyFactory };
  return prettyFactory({
    singleLine: true,
    errorLikeObjectKeys: [],
    ignore: 'service',
    translateTime: 'SYS:HH:MM:ss.l',
  });
}
