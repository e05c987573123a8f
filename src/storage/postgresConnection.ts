/**
 * Talking to PostgreSQL through node-postgres: the pool's settings, connections checked out for
 * several statements, and what a failure means.
 *
 * While a connection is checked out of a `pg.Pool` the pool stops listening to its 'error'
 * events, and an 'error' nobody listens to kills the process: a backend terminated in the
 * middle of a transaction must only reject the caller's promise. A connection that failed
 * below SQL (socket gone, server shutting down, a query timed out while the reply may still
 * come) is destroyed on release, never handed out again.
 */
import pg from 'pg';

const int8 = 20;

/** BIGINT columns (ids, epoch milliseconds) as numbers, like SQLite's, without touching pg's global parsers. */
export const numericTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === int8 && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } catch (error) {
    if (isBroken(error)) broken ??= error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * Runs `work` between BEGIN and COMMIT on one connection. A statement's error rolls back; a
 * broken connection is destroyed instead, which ends its transaction on the server.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (!isBroken(error)) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          throw new BrokenConnectionError(error, rollbackError);
        });
      }
      throw error;
    }
  });
}

/** The original failure of a transaction whose ROLLBACK failed as well. */
class BrokenConnectionError extends Error {
  readonly code: string | undefined;
  constructor(cause: unknown, rollbackError: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.code = (cause as { code?: string })?.code ?? (rollbackError as { code?: string })?.code;
  }
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether the connection an error came from must not be used again. The server reports a
 * failed statement with a SQLSTATE; only class 08 (connection exception) and 57P (terminated,
 * crash shutdown, cannot connect now) among those end the session. Anything without one (a
 * socket error, a query timeout, an exception thrown between statements) may leave a reply
 * pending on the wire.
 */
export function isBroken(error: unknown): boolean {
  if (error instanceof BrokenConnectionError) return true;
  const code = sqlState(error);
  return code === undefined || code.startsWith('08') || code.startsWith('57P');
}

/** A SQLSTATE (`57P01`, `55000`…) when the server answered; `unreachable` when no connection could be used. */
export function failureCode(error: unknown): string {
  return sqlState(error) ?? 'unreachable';
}

/** An error's message with the system code when the message lacks it (`connect ECONNREFUSED …`). */
export function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // A refused connection to several addresses of one name is an AggregateError without a message.
  const nested = error instanceof AggregateError ? error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ') : '';
  const code = (error as { code?: unknown })?.code;
  const suffix = typeof code === 'string' && !message.includes(code) && !nested.includes(code) ? `(${code})` : '';
  return [message, nested, suffix].filter(Boolean).join(' ');
}

/** The URL with its password replaced by `***` (also in `key=value` connection strings). */
export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1***');
  }
}
