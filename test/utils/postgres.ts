/**
 * A database of its own per test on the machine's PostgreSQL (trust auth, user postgres), dropped
 * after the test with whatever still connects to it; stores opened through `openStore` are
 * closed first. `TEST_POSTGRES_URL` points the tests at another server (its maintenance db).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStore, type PostgresStoreOptions } from '../../src/storage/PostgresStore.ts';
import { registerCleanup } from './cleanup.ts';

export const postgresAdminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  /** `postgres://postgres@127.0.0.1:5432/<name>` */
  url: string;
  /** The same database reached through another host and port (a proxy in front of the server). */
  urlVia(port: number, host?: string): string;
  /** Opens a store on this database, closed after the test (before the database is dropped). */
  openStore(options?: PostgresStoreOptions): Promise<PostgresStore>;
  /** A connection of its own to this database (not a store's), ended after the test. */
  connect(): Promise<pg.Client>;
  /** One query on a connection of its own (not a store's). */
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<R[]>;
  /** Cuts every connection to this database but those of `except` (`pg_terminate_backend`); resolves with how many. */
  terminateBackends(except?: pg.Client[]): Promise<number>;
  /** `ALTER DATABASE … ALLOW_CONNECTIONS`: while false, even a superuser's new connection is refused. */
  allowConnections(allow: boolean): Promise<void>;
  /** Drops the database, cutting what still connects. Idempotent; runs after the test anyway. */
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>, url = postgresAdminUrl): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // a terminated admin connection only fails its query
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tutorboard_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(postgresAdminUrl, name);
  let dropped: Promise<void> | undefined;
  const drop = () => {
    dropped ??= admin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
    return dropped;
  };
  registerCleanup(drop);
  const database: TestDatabase = {
    name,
    url,
    urlVia(port, host = '127.0.0.1') {
      const parsed = new URL(url);
      parsed.hostname = host;
      parsed.port = String(port);
      return parsed.toString();
    },
    async openStore(options = {}) {
      const store = await PostgresStore.open(url, { poolSize: 4, ...options });
      registerCleanup(() => store.close());
      return store;
    },
    async connect() {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined); // terminated by a test or by the drop: its queries fail
      await client.connect();
      registerCleanup(() => client.end().catch(() => undefined));
      return client;
    },
    query: (text, values) => admin(async (client) => (await client.query(text, values)).rows, url),
    terminateBackends: (except = []) =>
      admin(async (client) => {
        const spared = except.map((c) => (c as unknown as { processID: number }).processID);
        const result = await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND NOT (pid = ANY($2::integer[]))',
          [name, spared],
        );
        return result.rowCount ?? 0;
      }),
    allowConnections: (allow) => admin(async (client) => void (await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${allow}`))),
    drop,
  };
  return database;
}
