/**
 * Finds out whether a tutorboard server refuses this client's connects, and what to do about it.
 * A browser reports a refused upgrade (401, 403, 429…) to scripts exactly like a network failure,
 * close code 1006, so the socket alone cannot tell "wrong token" from "no network". The server
 * answers a plain GET on the same URL (http(s) instead of ws(s), same query, so the same token)
 * with the status and JSON error the upgrade got, or 426 when the upgrade would be accepted.
 *
 * 400 cannot get better by retrying, nor can 401/403 with a fixed token: final. A token function
 * may hand out a better token next time, so there a 401/403 is final only when the function hands
 * out the refused token again. 429 and 503 pass.
 */
import type { FetchLike, RefusalInfo } from './TutorChannelClientOptions.ts';

/** The statuses a tutorboard upgrade is refused with. Anything else (426, a proxy's 502) is not a refusal. */
const refusalStatuses: readonly number[] = [400, 401, 403, 429, 503];

export type Refusal = Omit<RefusalInfo, 'final'>;

export interface RefusalCheckOptions {
  /** Ask after this many connects in a row failed before opening; 0 never asks. */
  afterFailures: number;
  /** No fetch, no check. */
  fetch: FetchLike | undefined;
  timeoutMs: number;
  /** Whether the token comes from a function (which may hand out another one). */
  tokenCanChange: boolean;
}

export class RefusalCheck {
  private readonly options: RefusalCheckOptions;
  private failures = 0;
  /** A 401/403 for a token from the token function: that token is not sent again. */
  private refusedToken: { token: string; refusal: Refusal } | undefined;

  constructor(options: RefusalCheckOptions) {
    this.options = options;
  }

  /** A socket opened: the failures in a row are over. */
  opened(): void {
    this.failures = 0;
  }

  /** The server accepted a token: forget the refused one. */
  welcomed(): void {
    this.refusedToken = undefined;
  }

  /** Failures from before now say nothing about what comes (e.g. the device was offline). */
  reset(): void {
    this.failures = 0;
  }

  /** The refusal `token` already got, when the token function hands it out again. */
  refusalOf(token: string): Refusal | undefined {
    return this.refusedToken?.token === token ? this.refusedToken.refusal : undefined;
  }

  /**
   * A connect to `url` with `token` failed before its socket opened. Undefined when it is not
   * time to ask; otherwise resolves with the refusal and whether it is final, or undefined when
   * the server did not report one. Never rejects.
   */
  failed(url: string, token: string): Promise<{ refusal: Refusal; final: boolean } | undefined> | undefined {
    this.failures += 1;
    const { afterFailures, fetch, timeoutMs, tokenCanChange } = this.options;
    if (afterFailures <= 0 || this.failures < afterFailures || !fetch) return undefined;
    return askServer(url, fetch, timeoutMs).then((refusal) => {
      if (!refusal) return undefined;
      const badToken = refusal.status === 401 || refusal.status === 403;
      if (badToken && tokenCanChange) this.refusedToken = { token, refusal };
      return { refusal, final: refusal.status === 400 || (badToken && !tokenCanChange) };
    });
  }
}

/**
 * The refusal the server reports for `socketUrl`, or undefined: not refused, not reachable, not
 * answered within `timeoutMs`, or not a tutorboard answer. Never rejects.
 */
async function askServer(socketUrl: string, fetch: FetchLike, timeoutMs: number): Promise<Refusal | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const url = new URL(socketUrl);
    url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    const abort = new AbortController();
    timer = setTimeout(() => abort.abort(), timeoutMs);
    // No credentials: the server allows any origin to read this answer, and needs no cookie.
    const response = await fetch(url.toString(), { signal: abort.signal, cache: 'no-store', credentials: 'omit' });
    if (!refusalStatuses.includes(response.status)) return undefined;
    const body: unknown = JSON.parse(await response.text());
    const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
    if (typeof error !== 'object' || error === null) return undefined;
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code !== 'string' || typeof message !== 'string') return undefined;
    return { status: response.status, code, message };
  } catch {
    return undefined; // unreachable, timed out, not JSON: as far as we know, the network
  } finally {
    clearTimeout(timer);
  }
}
