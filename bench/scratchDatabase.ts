/**
 * A PostgreSQL database of the benchmark's own, made on the server at `adminUrl` and dropped
 * afterwards; undefined (with a note on stderr) when that server cannot be reached.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export async function scratchDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const name = `tutorboard_bench_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await run(`CREATE DATABASE ${name}`);
  } catch (error) {
    process.stderr.write(`PostgreSQL rows skipped: cannot create a database at ${adminUrl.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message})\n`);
    return undefined;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
