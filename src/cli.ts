/**
 * `tutorboard <command>`: serve | migrate | token (and more as features add them).
 * Every failure is one line on stderr and a non-zero exit code; `--help` on each command.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import Database from 'better-sqlite3';
import { Authenticator, roles, type Role } from './auth.ts';
import { loadConfig, type Config } from './config.ts';
import { describeVariables } from './configVariables.ts';
import { resolveSigningKey } from './devSecret.ts';
import { ConfigError, describe } from './errors.ts';
import { migrate } from './storage/migrations.ts';
import { maskPassword } from './storage/postgresConnection.ts';
import { PostgresStore } from './storage/PostgresStore.ts';
import { serve } from './serve.ts';
import { databaseError, postgresError, prepareDatabasePath } from './startupErrors.ts';
import { snapshotsCommand } from './cli/snapshots.ts';
import { version } from './version.ts';

export class UsageError extends Error {}

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Options that set an environment variable (option name → variable), e.g. `--port` → PORT. */
  variables?: Record<string, string>;
  /** Printed after the usage line by `--help`. */
  details?: string;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[]; config: () => Readonly<Config> }): Promise<number>;
}

const commands: Record<string, Command> = {
  serve: {
    summary: 'run the server (what `npm start` runs)',
    usage: 'tutorboard serve [--port N] [--host ADDRESS] [--database FILE]',
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      database: { type: 'string' },
    },
    variables: { port: 'PORT', host: 'HOST', database: 'DATABASE_PATH' },
    details:
      'Options override their variable: --port PORT, --host HOST, --database DATABASE_PATH.\n\n' +
      `Environment variables (default, meaning):\n${describeVariables()}`,
    run: async ({ config }) => serve(config()),
  },
  migrate: {
    summary: 'apply pending database migrations and exit',
    usage: 'tutorboard migrate',
    options: {},
    async run({ config }) {
      const { databasePath, databaseUrl } = config();
      if (databaseUrl !== undefined) {
        let store: PostgresStore;
        try {
          store = await PostgresStore.open(databaseUrl, { poolSize: 1, instanceId: 'tutorboard-migrate' });
        } catch (error) {
          throw postgresError(error, maskPassword(databaseUrl));
        }
        const applied = store.appliedMigrations;
        await store.close();
        console.log(applied.length ? `applied migrations ${applied.join(', ')} to ${store.location}` : `${store.location} is up to date`);
        return 0;
      }
      prepareDatabasePath(databasePath);
      let db: Database.Database;
      try {
        db = new Database(databasePath);
      } catch (error) {
        throw databaseError(error, databasePath);
      }
      try {
        const applied = migrate(db);
        console.log(applied.length ? `applied migrations ${applied.join(', ')} to ${databasePath}` : `${databasePath} is up to date`);
      } catch (error) {
        throw databaseError(error, databasePath);
      } finally {
        db.close();
      }
      return 0;
    },
  },
  token: {
    summary: 'print a token signed with the configured key',
    usage: 'tutorboard token --sub USER --session SESSION [--role tutor|student|observer|admin] [--ttl 1h]',
    options: {
      sub: { type: 'string' },
      session: { type: 'string' },
      role: { type: 'string', default: 'student' },
      ttl: { type: 'string', default: '1h' },
    },
    async run({ values, config }) {
      const sub = values.sub as string | undefined;
      const session = values.session as string | undefined;
      if (!sub) throw new UsageError('--sub is required');
      if (!session) throw new UsageError('--session is required (a session id, or "*" for all sessions)');
      const role = values.role as string;
      if (!(roles as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${roles.join(', ')}`);
      const key = resolveSigningKey(config());
      if (!key.secret) throw new UsageError('tokens can only be minted with JWT_SECRET (JWT_PUBLIC_KEY cannot sign)');
      const { issuer, audience, maxTtlSeconds } = config().jwt;
      const ttl = parseDuration(values.ttl as string);
      if (maxTtlSeconds > 0 && ttl > maxTtlSeconds) {
        throw new UsageError(`--ttl ${values.ttl} is longer than JWT_MAX_TTL (${maxTtlSeconds} s): the server would refuse the token`);
      }
      const authenticator = new Authenticator({ secret: key.secret, issuer, audience, maxTtlSeconds });
      console.log(authenticator.sign({ sub, sid: session, role: role as Role }, ttl));
      return 0;
    },
  },
};

/** Lets feature modules add commands (e.g. `snapshots`). */
export function registerCommand(name: string, command: Command): void {
  commands[name] = command;
}

registerCommand('snapshots', snapshotsCommand);

/** "90", "90s", "15m", "1h", "7d" → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) throw new UsageError(`invalid duration "${text}" (use e.g. 90s, 15m, 1h, 7d)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

function help(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `tutorboard ${version}\n\nUsage: tutorboard <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "tutorboard <command> --help" for a command's options. Configuration comes from environment variables (see README).`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-v') {
    console.log(version);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`tutorboard: unknown command "${name}" (try --help)`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      console.log(`Usage: ${command.usage}\n\n${command.summary}${command.details ? `\n\n${command.details}` : ''}`);
      return 0;
    }
    const given = values as Record<string, string | boolean | undefined>;
    const overrides: Record<string, string> = {};
    for (const [option, variable] of Object.entries(command.variables ?? {})) {
      const value = given[option];
      if (typeof value === 'string') overrides[variable] = value;
    }
    let config: Readonly<Config> | undefined;
    const load = () => {
      try {
        return loadConfig({ ...process.env, ...overrides });
      } catch (error) {
        // A bad flag value is a usage error about the flag, not about the variable it sets.
        const option = Object.entries(command.variables ?? {}).find(([o, v]) => error instanceof ConfigError && v === error.variable && given[o] !== undefined);
        if (!option || !(error instanceof ConfigError)) throw error;
        throw new UsageError(`--${option[0]} ${error.message.slice(error.variable.length + 2)}`);
      }
    };
    return await command.run({ values, positionals, config: () => (config ??= load()) });
  } catch (error) {
    if (error instanceof ConfigError) console.error(`tutorboard: invalid configuration: ${error.message}`);
    else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) {
      console.error(`tutorboard ${name}: ${describe(error)}`);
      return 2;
    } else console.error(`tutorboard ${name}: ${describe(error)}`);
    return 1;
  }
}

