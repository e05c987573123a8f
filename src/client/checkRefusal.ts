/**
 * Asks a tutorboard server why connects to a WebSocket URL fail. A browser reports a refused
 * upgrade (401, 403, 429…) to scripts exactly like a network failure, close code 1006, so the
 * client cannot tell "wrong token" from "no network" by the socket alone. The server answers a
 * plain GET on the same URL (http(s) instead of ws(s), same query, so the same token) with the
 * status and JSON error the upgrade got, or 426 when the upgrade would be accepted.
 */
import type { FetchLike, RefusalInfo } from './TutorChannelClientOptions.ts';

/** The statuses a tutorboard upgrade is refused with. Anything else (426, a proxy's 502) is not a refusal. */
const refusalStatuses: readonly number[] = [400, 401, 403, 429, 503];

export type Refusal = Omit<RefusalInfo, 'final'>;

/**
 * The refusal the server reports for `socketUrl`, or undefined: not refused, not reachable, not
 * answered within `timeoutMs`, or not a tutorboard answer. Never rejects.
 */
export async function checkRefusal(socketUrl: string, fetch: FetchLike, timeoutMs: number): Promise<Refusal | undefined> {
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
