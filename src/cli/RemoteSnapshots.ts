/**
 * The snapshot API of a running server, as the CLI uses it: every call carries a freshly minted,
 * short-lived admin token for the one session it touches. A server answer that is an error
 * comes back as the matching class of src/errors.ts, so the CLI maps exit codes in one place.
 */
import { hostname, userInfo } from 'node:os';
import type { Authenticator } from '../auth.ts';
import { BadRequestError, ForbiddenError, NotFoundError, TutorboardError, UnauthorizedError, describe } from '../errors.ts';
import type { SnapshotDetailJson, SnapshotJson } from '../http/snapshotRoutes.ts';

/** Lifetime of the token minted for one CLI call, in seconds. */
export const cliTokenTtlSeconds = 60;

/** How long one API call may take, in milliseconds (a restore of a large board included). */
export const requestTimeoutMs = 60_000;

/** Fetch failed because nothing listens at the URL: the CLI then works on the database file. */
export function isConnectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; errors?: Array<{ code?: string }> } } | undefined)?.cause;
  return cause?.code === 'ECONNREFUSED' || (cause?.errors?.some((e) => e.code === 'ECONNREFUSED') ?? false);
}

/** Who the CLI acts as (`createdBy` / `by`): the operator's login on this host. */
export function cliUser(): string {
  try {
    return `cli:${userInfo().username}@${hostname()}`;
  } catch {
    return 'cli';
  }
}

export class RemoteSnapshots {
  private readonly baseUrl: string;
  private readonly signer: () => Authenticator;
  private readonly user: string;

  /** `signer` is called only when a request is made, so a signing problem surfaces as its own error. */
  constructor(baseUrl: string, signer: () => Authenticator, user = cliUser()) {
    this.baseUrl = baseUrl;
    this.signer = signer;
    this.user = user;
  }

  async list(sessionId: string): Promise<SnapshotJson[]> {
    return (await this.call('GET', sessionId, '')).json();
  }

  async show(sessionId: string, id: number): Promise<SnapshotDetailJson> {
    return (await this.call('GET', sessionId, `/${id}`)).json();
  }

  async create(sessionId: string, label: string | null): Promise<SnapshotJson> {
    return (await this.call('POST', sessionId, '', label === null ? {} : { label })).json();
  }

  async restore(sessionId: string, id: number): Promise<{ restoredFrom: number; preRestoreSnapshotId: number; changed: boolean }> {
    return (await this.call('POST', sessionId, `/${id}/restore`)).json();
  }

  async delete(sessionId: string, id: number): Promise<void> {
    await this.call('DELETE', sessionId, `/${id}`);
  }

  async exportJson(sessionId: string, id: number): Promise<Record<string, unknown>> {
    return (await this.call('GET', sessionId, `/${id}?format=json`)).json();
  }

  async exportYjs(sessionId: string, id: number): Promise<Uint8Array> {
    return new Uint8Array(await (await this.call('GET', sessionId, `/${id}?format=yjs`)).arrayBuffer());
  }

  private async call(method: string, sessionId: string, suffix: string, body?: unknown): Promise<Response> {
    const token = await this.token(sessionId);
    const url = `${this.baseUrl}/api/sessions/${encodeURIComponent(sessionId)}/snapshots${suffix}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      if (isConnectionRefused(error)) throw error;
      // Anything but "nothing listens" (timeout, DNS, TLS) may be a running server: never fall back.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach the server at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? describe(error)}`);
    }
    if (response.ok) return response;
    throw await errorFrom(response);
  }

  /**
   * A fresh admin token. Without a key to sign with (JWT_PUBLIC_KEY only) the CLI can still work
   * on the database file when no server runs, so that case must surface as "connection refused"
   * and only a server that is actually there gets the signing error.
   */
  private async token(sessionId: string): Promise<string> {
    try {
      return this.signer().sign({ sub: this.user, sid: sessionId, role: 'admin' }, cliTokenTtlSeconds);
    } catch (signingError) {
      try {
        // `GET /` needs no token, so the probe leaves no auth_failed line in the server's log.
        await fetch(`${this.baseUrl}/`, { signal: AbortSignal.timeout(requestTimeoutMs) });
      } catch (error) {
        if (isConnectionRefused(error)) throw error;
      }
      throw signingError;
    }
  }
}

async function errorFrom(response: Response): Promise<Error> {
  let code = 'error';
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not our JSON (a proxy's error page): the status line says enough.
  }
  switch (response.status) {
    case 400:
      return new BadRequestError(message, code);
    case 401:
      return new UnauthorizedError(`server refused the CLI's token: ${message} (does JWT_SECRET match the server's?)`);
    case 403:
      return new ForbiddenError(message);
    case 404:
      return new NotFoundError(message, code);
    default:
      return new TutorboardError(`server answered ${response.status}: ${message}`, code, response.status, 1011);
  }
}
