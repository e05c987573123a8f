/**
 * Where an offline CLI command must go instead of the database file. When nothing answers at
 * TUTORBOARD_URL the CLI works on DATABASE_PATH directly, but a server that runs and listens
 * elsewhere (another PORT, TUTORBOARD_URL unset) would then compact its loaded copy of the board
 * over that edit. The server's lease on the file says whether one is live and where it listens.
 */
import { hostname } from 'node:os';
import type { Authenticator } from '../auth.ts';
import type { Config } from '../config.ts';
import { DatabaseInUseError, describe } from '../errors.ts';
import { PostgresStore } from '../storage/PostgresStore.ts';
import { isLeaseLive, readLiveLeases, type LeaseHolder } from '../storage/ServerLease.ts';

/** How long the live server gets to answer `GET /health` before the CLI refuses, in ms. */
export const healthTimeoutMs = 3_000;

/**
 * `undefined`: no server is live on the file; the command may work on it directly. A URL: the
 * live server holding the file answers there and the CLI can sign for it; send the command there.
 * Throws DatabaseInUseError, naming the server and how to reach it, when it cannot be used.
 */
export async function liveServerUrl(
  config: Pick<Config, 'databasePath' | 'databaseUrl' | 'sqliteBusyTimeoutMs'>,
  commandLine: string,
  signer: () => Authenticator,
): Promise<string | undefined> {
  const { holders, location } = await liveLeases(config);
  // In a cluster every instance serves every session: one on this host can be reached at its lease URL.
  const holder = holders.find((h) => h.hostname === hostname()) ?? holders[0];
  if (!holder) return undefined;
  const refuse = (why: string, what: string) =>
    new DatabaseInUseError(
      `a tutorboard server (${describeHolder(holder)}) is live on ${location} and ${why}; ` +
        `not touching the ${config.databaseUrl === undefined ? 'file' : 'database'} behind its back: ${what}`,
    );
  // 127.0.0.1 in a lease from another host would reach whatever listens on this one.
  if (holder.hostname !== hostname()) {
    throw refuse('runs on another host', `run TUTORBOARD_URL=${urlOnHost(holder)} ${commandLine}, or stop that server first`);
  }
  try {
    signer();
  } catch (error) {
    throw refuse(`the CLI cannot hand the command over (${describe(error)})`, 'stop the server to work on the file');
  }
  const health = await probe(holder.url);
  if (health !== 'ok') {
    throw refuse(
      `does not answer at ${holder.url} (${health}; starting or shutting down?)`,
      `retry, run TUTORBOARD_URL=${holder.url} ${commandLine}, or stop the server first`,
    );
  }
  return holder.url;
}

async function liveLeases(config: Pick<Config, 'databasePath' | 'databaseUrl' | 'sqliteBusyTimeoutMs'>): Promise<{ holders: LeaseHolder[]; location: string }> {
  if (config.databaseUrl === undefined) {
    return { holders: readLiveLeases(config.databasePath, Math.max(config.sqliteBusyTimeoutMs, 1_000)), location: config.databasePath };
  }
  // Looking never migrates: a database without the lease table simply has no live server.
  const store = new PostgresStore(config.databaseUrl, { poolSize: 1, migrate: false, instanceId: 'tutorboard-cli' });
  try {
    const rows = await store.leases.all().catch((error: { code?: string }) => {
      if (error.code === '42P01') return []; // undefined_table: never migrated
      throw error;
    });
    return { holders: rows.filter((holder) => isLeaseLive(holder)), location: store.location };
  } finally {
    await store.close();
  }
}

export function describeHolder(holder: LeaseHolder): string {
  const ageS = Math.max(0, (Date.now() - holder.heartbeatAt) / 1000).toFixed(1);
  return `pid ${holder.pid} on ${holder.hostname}, listening at ${holder.url}, heartbeat ${ageS} s ago`;
}

function urlOnHost(holder: LeaseHolder): string {
  return holder.url.replace(/^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?=:)/, `http://${holder.hostname}`);
}

async function probe(url: string): Promise<string> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(healthTimeoutMs) });
    await response.body?.cancel();
    return response.ok ? 'ok' : `GET /health answered ${response.status}`;
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return `no answer within ${healthTimeoutMs} ms`;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? describe(error);
  }
}
