/**
 * Startup failures that the operator fixes in the configuration, turned into a ConfigError that
 * names the variable and the path or port, instead of a raw `EROFS` or "unable to open database
 * file". The CLI prints them as one line.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, describe } from './errors.ts';
import { SchemaTooNewError } from './storage/migrations.ts';

const reasons: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'a part of the path does not exist',
  ENOSPC: 'the disk is full',
};

function reason(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code && reasons[code] ? `${reasons[code]} (${code})` : describe(error);
}

/**
 * Creates the database's folder and checks that SQLite can write there (it also creates the
 * `-wal` and `-shm` files next to the database), before anything opens it.
 */
export function prepareDatabasePath(databasePath: string): void {
  if (databasePath === ':memory:') return;
  const file = resolve(databasePath);
  const folder = dirname(file);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new ConfigError('DATABASE_PATH', `cannot create the folder ${folder} for ${file}: ${reason(error)}`);
  }
  let isFolder = false;
  let exists = false;
  try {
    const stats = statSync(file);
    exists = true;
    isFolder = stats.isDirectory();
  } catch {
    // a new database: SQLite creates it
  }
  if (isFolder) {
    throw new ConfigError('DATABASE_PATH', `${file} is a folder; point it at a file, e.g. ${join(file, 'tutorboard.db')}`);
  }
  try {
    accessSync(folder, constants.W_OK);
    if (exists) accessSync(file, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw new ConfigError('DATABASE_PATH', `cannot write ${exists ? file : `in ${folder}`}: ${reason(error)}; use a writable location`);
  }
}

/** A failure while opening or migrating the database, with the variable and the path. */
export function databaseError(error: unknown, databasePath: string): unknown {
  if (error instanceof ConfigError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !(code.startsWith('SQLITE_') || code in reasons)) return error;
  return new ConfigError('DATABASE_PATH', `cannot open ${resolve(databasePath)}: ${reason(error)}`);
}

/** A failed `listen`, naming PORT or HOST. */
/** PostgreSQL unreachable, refusing the login, or a schema newer than this code, as one line naming DATABASE_URL. */
export function postgresError(error: unknown, location: string): unknown {
  if (error instanceof SchemaTooNewError) return new ConfigError('DATABASE_URL', error.message);
  const code = (error as { code?: unknown })?.code;
  return new ConfigError('DATABASE_URL', `cannot use PostgreSQL at ${location}: ${describe(error)}${typeof code === 'string' ? ` (${code})` : ''}`);
}

export function listenError(error: unknown, host: string, port: number): unknown {
  switch ((error as { code?: string }).code) {
    case 'EADDRINUSE':
      return new ConfigError('PORT', `port ${port} is already in use on ${host} (another tutorboard?); stop it, or set PORT (or --port) to a free port`);
    case 'EACCES':
      return new ConfigError('PORT', `port ${port} needs privileges on this system; use a port above 1023`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError('HOST', `cannot listen on ${host}: not an address of this machine (use 0.0.0.0 for every interface, 127.0.0.1 for local only)`);
    default:
      return error;
  }
}
