/**
 * Snapshot rows in SQLite (migrations/0002_snapshots.sql), over the server's one connection.
 * Statements are prepared once. Every method is synchronous, so a caller can put a snapshot and
 * the document edit it belongs to into one transaction (see Snapshots.restore).
 */
import type Database from 'better-sqlite3';

export const snapshotReasons = ['auto', 'manual', 'session-end', 'pre-restore'] as const;
export type SnapshotReason = (typeof snapshotReasons)[number];

/** Reasons subject to retention (`prune`); the others are kept until deleted. */
export const automaticReasons: readonly SnapshotReason[] = ['auto', 'session-end'];

export interface SnapshotMeta {
  id: number;
  sessionId: string;
  /** Epoch milliseconds. */
  createdAt: number;
  reason: SnapshotReason;
  /** A user id, or `system` for automatic snapshots. */
  createdBy: string;
  /** Size of the stored Yjs state in bytes. */
  byteSize: number;
  label: string | null;
}

export interface Snapshot extends SnapshotMeta {
  /** The full Yjs state (`Y.encodeStateAsUpdate`). */
  state: Uint8Array;
  contentHash: string;
}

export interface NewSnapshot {
  sessionId: string;
  reason: SnapshotReason;
  createdBy: string;
  label?: string | null;
  state: Uint8Array;
  contentHash: string;
  /** Epoch milliseconds; now by default. */
  createdAt?: number;
}

/** A snapshot row's metadata columns, as both engines name them. */
export interface SnapshotRow {
  id: number;
  session_id: string;
  created_at: number;
  reason: SnapshotReason;
  created_by: string;
  byte_size: number;
  label: string | null;
}

export const snapshotMetaColumns = 'id, session_id, created_at, reason, created_by, byte_size, label';

export function toMeta(row: SnapshotRow): SnapshotMeta {
  return {
    id: row.id,
    sessionId: row.session_id,
    createdAt: row.created_at,
    reason: row.reason,
    createdBy: row.created_by,
    byteSize: row.byte_size,
    label: row.label,
  };
}

export class SnapshotStore {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(db: Database.Database) {
    this.db = db;
    this.statements = {
      insert: db.prepare(
        `INSERT INTO snapshots (session_id, created_at, reason, created_by, byte_size, label, state, content_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      newest: db.prepare<[string], SnapshotRow & { content_hash: string }>(
        `SELECT ${snapshotMetaColumns}, content_hash FROM snapshots WHERE session_id = ? ORDER BY id DESC LIMIT 1`,
      ),
      list: db.prepare<[string], SnapshotRow>(`SELECT ${snapshotMetaColumns} FROM snapshots WHERE session_id = ? ORDER BY id DESC`),
      get: db.prepare<[string, number], SnapshotRow & { state: Buffer; content_hash: string }>(
        `SELECT ${snapshotMetaColumns}, state, content_hash FROM snapshots WHERE session_id = ? AND id = ?`,
      ),
      delete: db.prepare<[string, number]>('DELETE FROM snapshots WHERE session_id = ? AND id = ?'),
      any: db.prepare<[string], { found: number }>('SELECT 1 AS found FROM snapshots WHERE session_id = ? LIMIT 1'),
      // The automatic snapshots of a session beyond the newest `keep` (OFFSET skips those).
      prune: db.prepare<[string, string, string, number, string]>(
        `DELETE FROM snapshots WHERE id IN (
           SELECT id FROM snapshots WHERE session_id = ? AND reason IN (?, ?)
           ORDER BY id DESC LIMIT -1 OFFSET ?
         ) AND session_id = ?`,
      ),
    };
  }

  /**
   * Stores a snapshot unless it would duplicate one; returns the stored (or the existing) one.
   *
   * Dedupe compares with the newest snapshot of the session only ("nothing changed since"):
   * - `auto` / `session-end`: skipped when that one has the same state hash.
   * - `pre-restore`: reuses that one when it has the same hash and is itself kept until deleted
   *   (`manual` or `pre-restore`), so the undo point cannot be pruned away; otherwise stored.
   * - `manual`: always stored: somebody asked for it, with a label and an author.
   */
  create(input: NewSnapshot): { snapshot: SnapshotMeta; created: boolean } {
    return this.db.transaction(() => {
      const newest = this.statements.newest.get(input.sessionId);
      if (newest && reusesNewest(newest, input)) return { snapshot: toMeta(newest), created: false };
      const createdAt = input.createdAt ?? Date.now();
      const result = this.statements.insert.run(
        input.sessionId,
        createdAt,
        input.reason,
        input.createdBy,
        input.state.byteLength,
        input.label ?? null,
        input.state,
        input.contentHash,
      );
      const snapshot = newSnapshotMeta(Number(result.lastInsertRowid), input, createdAt);
      return { snapshot, created: true };
    })();
  }

  /** Newest first. */
  list(sessionId: string): SnapshotMeta[] {
    return this.statements.list.all(sessionId).map(toMeta);
  }

  get(sessionId: string, id: number): Snapshot | undefined {
    const row = this.statements.get.get(sessionId, id);
    if (!row) return undefined;
    return { ...toMeta(row), state: new Uint8Array(row.state), contentHash: row.content_hash };
  }

  /** True when a row was deleted. */
  delete(sessionId: string, id: number): boolean {
    return this.statements.delete.run(sessionId, id).changes > 0;
  }

  hasAny(sessionId: string): boolean {
    return this.statements.any.get(sessionId) !== undefined;
  }

  /** Deletes all but the newest `keep` automatic snapshots of a session; returns how many went. */
  prune(sessionId: string, keep: number): number {
    const [auto, sessionEnd] = automaticReasons;
    return this.statements.prune.run(sessionId, auto, sessionEnd, keep, sessionId).changes;
  }
}

/**
 * The dedupe rule of `create` (both engines): whether the session's newest snapshot stands for
 * `input` ("nothing changed since"); see SnapshotStore.create.
 */
export function reusesNewest(newest: { reason: SnapshotReason; content_hash: string }, input: NewSnapshot): boolean {
  if (newest.content_hash !== input.contentHash) return false;
  return automaticReasons.includes(input.reason) || (input.reason === 'pre-restore' && (newest.reason === 'manual' || newest.reason === 'pre-restore'));
}

/** The metadata of a row just inserted for `input`. */
export function newSnapshotMeta(id: number, input: NewSnapshot, createdAt: number): SnapshotMeta {
  return {
    id,
    sessionId: input.sessionId,
    createdAt,
    reason: input.reason,
    createdBy: input.createdBy,
    byteSize: input.state.byteLength,
    label: input.label ?? null,
  };
}
