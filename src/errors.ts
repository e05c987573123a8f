/**
 * Small error classes thrown deep in the code. One boundary per transport turns them into an
 * HTTP status (`status`), a WebSocket close code (`closeCode`) or an `error` message (`code`).
 */
import { CloseCode } from './closeCodes.ts';

export class TutorboardError extends Error {
  readonly code: string;
  readonly status: number;
  readonly closeCode: number;
  constructor(message: string, code: string, status: number, closeCode: number) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.closeCode = closeCode;
  }
}

/** Missing, malformed, expired or wrongly signed credentials; `code` names a specific refusal. */
export class UnauthorizedError extends TutorboardError {
  constructor(message = 'unauthorized', code = 'unauthorized') {
    super(message, code, 401, CloseCode.Unauthorized);
  }
}

/** Valid credentials that do not grant what was asked. */
export class ForbiddenError extends TutorboardError {
  constructor(message = 'forbidden') {
    super(message, 'forbidden', 403, CloseCode.Forbidden);
  }
}

export class BadRequestError extends TutorboardError {
  constructor(message: string, code = 'bad_request') {
    super(message, code, 400, CloseCode.PolicyViolation);
  }
}

export class NotFoundError extends TutorboardError {
  constructor(message = 'not found', code = 'not_found') {
    super(message, code, 404, CloseCode.PolicyViolation);
  }
}

/** The request is well-formed but cannot apply to the current state (e.g. a restore across a type change). */
export class ConflictError extends TutorboardError {
  constructor(message: string, code = 'conflict') {
    super(message, code, 409, CloseCode.PolicyViolation);
  }
}

/** A connection limit is reached; the client should retry later (or elsewhere). */
export class CapacityError extends TutorboardError {
  constructor(message: string, code: 'server_full' | 'session_full' | 'user_connections_full', status: 429 | 503) {
    super(message, code, status, CloseCode.TryAgainLater);
  }
}

/** Part of the cluster did not answer, so the request cannot be answered truthfully; retry later. */
export class UnavailableError extends TutorboardError {
  constructor(message: string, code = 'instances_unreachable') {
    super(message, code, 503, CloseCode.TryAgainLater);
  }
}

/** Stored bytes of a document could not be decoded. The rows are left as they are. */
export class DocumentLoadError extends TutorboardError {
  constructor(documentName: string, cause: unknown) {
    super(`document "${documentName}" could not be loaded: ${describe(cause)}`, 'document_load_failed', 500, CloseCode.DocumentLoadFailed);
    this.cause = cause;
  }
}

/** Configuration that cannot work; `variable` names the environment variable at fault. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The offline CLI found a live server on the database file that it cannot hand the command to. */
export class DatabaseInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseInUseError';
  }
}
