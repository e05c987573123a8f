/**
 * `tutorboard snapshots …`: the snapshot admin API from a terminal.
 *
 * It talks to the running server (TUTORBOARD_URL) so connected clients see a restore at once.
 * When nothing listens there (connection refused) it reads the lease of any server live on
 * DATABASE_PATH: the command goes to that server, or is refused when it cannot be reached; only
 * with no live server does it work on the file directly.
 *
 * Exit codes: 0 done, 1 failure, 2 usage or invalid input, 3 credentials refused by the server,
 * 4 session or snapshot not found.
 */
import { writeFileSync } from 'node:fs';
import { Authenticator } from '../auth.ts';
import type { Command } from '../cli.ts';
import type { Config } from '../config.ts';
import { devSecretPath, resolveSigningKey } from '../devSecret.ts';
import { BadRequestError, ConfigError, ForbiddenError, NotFoundError, UnauthorizedError, describe } from '../errors.ts';
import { parseLabel, parseSnapshotId, type SnapshotJson } from '../http/snapshotRoutes.ts';
import { assertSessionId } from '../routes.ts';
import { liveServerUrl } from './liveServerUrl.ts';
import { LocalSnapshots } from './LocalSnapshots.ts';
import { RemoteSnapshots, isConnectionRefused } from './RemoteSnapshots.ts';

export const snapshotExitCodes = { ok: 0, failure: 1, usage: 2, refused: 3, notFound: 4 } as const;

type Backend = Pick<RemoteSnapshots, 'list' | 'show' | 'create' | 'restore' | 'delete' | 'exportJson' | 'exportYjs'>;

const usage = `tutorboard snapshots list SESSION [--json]
       tutorboard snapshots show SESSION ID [--json]
       tutorboard snapshots create SESSION [--label LABEL] [--json]
       tutorboard snapshots restore SESSION ID [--json]
       tutorboard snapshots delete SESSION ID
       tutorboard snapshots export SESSION ID --format json|yjs [--out FILE]

Talks to the server at TUTORBOARD_URL (default http://127.0.0.1:$PORT) with an admin token minted
from the configured key. When nothing answers there, a server live on DATABASE_PATH (its lease in
the file) gets the command instead, or it is refused; with none live it works on the file directly.
Exit codes: 0 done, 1 failure, 2 usage, 3 credentials refused, 4 session or snapshot not found.`;

const arity: Record<string, number> = { list: 1, show: 2, create: 1, restore: 2, delete: 2, export: 2 };

/** Thrown for bad arguments; main() prints it and exits 2. */
class SnapshotUsageError extends Error {}

export const snapshotsCommand: Command = {
  summary: 'list, show, create, restore, delete or export whiteboard snapshots',
  usage,
  options: {
    json: { type: 'boolean' },
    label: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
  },
  async run({ values, positionals, config }) {
    const [action, sessionId, idText] = positionals;
    try {
      if (!action || !(action in arity)) throw new SnapshotUsageError(`expected one of ${Object.keys(arity).join(', ')} (try --help)`);
      if (positionals.length !== arity[action] + 1) {
        throw new SnapshotUsageError(`${action} takes ${arity[action] === 1 ? 'SESSION' : 'SESSION ID'} (try --help)`);
      }
      assertSessionId(sessionId);
      const id = idText === undefined ? 0 : parseSnapshotId(idText);
      const label = parseLabel(values.label);
      if (action === 'export' && values.format !== 'json' && values.format !== 'yjs') {
        throw new SnapshotUsageError('export needs --format json or --format yjs');
      }
      if (action === 'export' && values.format === 'yjs' && !values.out && process.stdout.isTTY) {
        throw new SnapshotUsageError('refusing to write binary to a terminal: pass --out FILE or redirect stdout');
      }
      const request = { action, sessionId, id, label, values };
      const cfg = config();
      const remote = new RemoteSnapshots(cfg.tutorboardUrl, () => signer(cfg));
      try {
        await perform(remote, request);
      } catch (error) {
        if (error instanceof UnauthorizedError && !cfg.jwt.secret && !cfg.jwt.publicKey) {
          throw new UnauthorizedError(
            `the server at ${cfg.tutorboardUrl} refused a token signed with the development secret ${devSecretPath(cfg)}: ` +
              'it is not the server\'s; run this where the server runs (the same DATABASE_PATH) or set JWT_SECRET to the server\'s',
          );
        }
        if (!isConnectionRefused(error)) throw error;
        const liveUrl = await liveServerUrl(cfg, commandLine(positionals, values), () => signer(cfg));
        if (liveUrl !== undefined) {
          console.error(`tutorboard snapshots: no server at ${cfg.tutorboardUrl}; the server live on ${cfg.databasePath} answers at ${liveUrl}, using it`);
          await perform(new RemoteSnapshots(liveUrl, () => signer(cfg)), request).catch((routed: unknown) => {
            throw isConnectionRefused(routed) ? new Error(`the server at ${liveUrl} stopped answering; nothing was changed, retry`) : routed;
          });
          return snapshotExitCodes.ok;
        }
        console.error(`tutorboard snapshots: no server at ${cfg.tutorboardUrl} and none live on ${cfg.databasePath}; working on it directly`);
        const local = await LocalSnapshots.open(cfg);
        try {
          await perform(local, request);
        } finally {
          await local.close();
        }
      }
      return snapshotExitCodes.ok;
    } catch (error) {
      return fail(error);
    }
  },
};

interface Request {
  action: string;
  sessionId: string;
  id: number;
  label: string | null;
  values: Record<string, string | boolean | undefined>;
}

async function perform(backend: Backend, { action, sessionId, id, label, values }: Request): Promise<void> {
  const json = values.json === true;
  switch (action) {
    case 'list': {
      const rows = await backend.list(sessionId);
      print(json ? rows : rows.length === 0 ? `no snapshots for ${sessionId}` : table(rows), json);
      break;
    }
    case 'show': {
      const detail = await backend.show(sessionId, id);
      if (json) print(detail, true);
      else {
        const fields = [
          ['session', detail.sessionId],
          ['created', detail.createdAt],
          ['reason', detail.reason],
          ['by', detail.createdBy],
          ['size', formatBytes(detail.byteSize)],
          ['label', detail.label ?? ''],
        ];
        const summary = detail.summary.map((row) => [row.name, row.kind, String(row.size)]);
        print(
          `snapshot ${detail.id}\n${columns(fields)}\n\n${summary.length === 0 ? '(empty document)' : columns([['NAME', 'KIND', 'SIZE'], ...summary])}`,
          false,
        );
      }
      break;
    }
    case 'create': {
      const meta = await backend.create(sessionId, label);
      print(json ? meta : `created snapshot ${meta.id} of ${sessionId} (${formatBytes(meta.byteSize)})`, json);
      break;
    }
    case 'restore': {
      const result = await backend.restore(sessionId, id);
      // A board that already equals the snapshot is left alone; its "undo" would be the snapshot itself.
      const text = result.changed
        ? `restored ${sessionId} to snapshot ${result.restoredFrom}; undo with: tutorboard snapshots restore ${sessionId} ${result.preRestoreSnapshotId}`
        : `nothing changed: ${sessionId} already equals snapshot ${result.restoredFrom}`;
      print(json ? result : text, json);
      break;
    }
    case 'delete':
      await backend.delete(sessionId, id);
      print(json ? { deleted: id } : `deleted snapshot ${id} of ${sessionId}`, json);
      break;
    case 'export': {
      const data =
        values.format === 'yjs' ? await backend.exportYjs(sessionId, id) : `${JSON.stringify(await backend.exportJson(sessionId, id), null, 2)}\n`;
      if (typeof values.out === 'string') {
        writeFileSync(values.out, data);
        console.error(`wrote snapshot ${id} of ${sessionId} to ${values.out} (${formatBytes(Buffer.byteLength(data))})`);
      } else {
        await new Promise<void>((resolve, reject) => process.stdout.write(data, (error) => (error ? reject(error) : resolve())));
      }
      break;
    }
  }
}

/** The command as typed, for the hint to run it against another URL. */
function commandLine(positionals: string[], values: Record<string, string | boolean | undefined>): string {
  const quote = (text: string) => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`);
  const flags = Object.entries(values).flatMap(([name, value]) =>
    name === 'help' || value === undefined || value === false ? [] : value === true ? [`--${name}`] : [`--${name}`, quote(value)],
  );
  return ['tutorboard', 'snapshots', ...positionals.map(quote), ...flags].join(' ');
}

function signer(config: Readonly<Config>): Authenticator {
  const key = resolveSigningKey(config);
  if (!key.secret) throw new Error('cannot mint an admin token: JWT_PUBLIC_KEY can only verify; run the CLI where JWT_SECRET is set');
  return new Authenticator({ secret: key.secret, issuer: config.jwt.issuer, audience: config.jwt.audience });
}

function fail(error: unknown): number {
  if (error instanceof ConfigError) {
    console.error(`tutorboard snapshots: invalid configuration: ${error.message}`);
    return snapshotExitCodes.failure;
  }
  console.error(`tutorboard snapshots: ${describe(error)}`);
  if (error instanceof SnapshotUsageError || error instanceof BadRequestError) return snapshotExitCodes.usage;
  if (error instanceof NotFoundError) return snapshotExitCodes.notFound;
  if (error instanceof UnauthorizedError || error instanceof ForbiddenError) return snapshotExitCodes.refused;
  return snapshotExitCodes.failure;
}

function print(value: unknown, json: boolean): void {
  console.log(json ? JSON.stringify(value, null, 2) : value);
}

function table(rows: SnapshotJson[]): string {
  const body = rows.map((s) => [String(s.id), s.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), s.reason, s.createdBy, formatBytes(s.byteSize), s.label ?? '']);
  return columns([['ID', 'CREATED', 'REASON', 'BY', 'SIZE', 'LABEL'], ...body]);
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
function columns(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
