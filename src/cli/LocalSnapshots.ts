/**
 * The snapshot operations on the database file itself, for when no server is running. It runs
 * the very code the server runs (Persistence + Snapshots inside a Hocuspocus instance without a
 * listener), so an offline restore appends the same forward edit to the update log and the next
 * server start loads the restored content.
 *
 * Only for a stopped server: a server that is running but unreachable would not see the edit in
 * its loaded copy and could compact over it. The caller checks the servers' leases first
 * (liveServerUrl.ts).
 */
import { existsSync } from 'node:fs';
import { Hocuspocus } from '@hocuspocus/server';
import type { Config } from '../config.ts';
import { snapshotContent, snapshotDetail, snapshotJson, type SnapshotDetailJson, type SnapshotJson } from '../http/snapshotRoutes.ts';
import { createStore } from '../storage/createStore.ts';
import type { Store } from '../storage/Store.ts';
import { Persistence } from '../../extensions/Persistence.ts';
import { Snapshots } from '../../extensions/Snapshots.ts';
import { cliUser } from './RemoteSnapshots.ts';

export class LocalSnapshots {
  private readonly store: Store;
  private readonly hocuspocus: Hocuspocus;
  private readonly snapshots: Snapshots;
  private readonly user: string;

  private constructor(store: Store, user: string) {
    this.store = store;
    this.user = user;
    const persistence = new Persistence({ store });
    // No timer: automatic snapshots belong to the server.
    this.snapshots = new Snapshots({ store, persistence, intervalMs: 0, keep: Number.MAX_SAFE_INTEGER });
    this.hocuspocus = new Hocuspocus({ name: 'tutorboard-cli', quiet: true, extensions: [persistence, this.snapshots] });
  }

  static async open(config: Readonly<Config>, user = cliUser()): Promise<LocalSnapshots> {
    if (config.databaseUrl === undefined && !existsSync(config.databasePath)) {
      throw new Error(`no server at ${config.tutorboardUrl} and no database at ${config.databasePath}`);
    }
    const store = createStore(config);
    try {
      await store.open();
    } catch (error) {
      await store.close();
      throw error;
    }
    const local = new LocalSnapshots(store, user);
    await local.snapshots.ready;
    return local;
  }

  async list(sessionId: string): Promise<SnapshotJson[]> {
    return (await this.snapshots.list(sessionId)).map(snapshotJson);
  }

  async show(sessionId: string, id: number): Promise<SnapshotDetailJson> {
    const snapshot = await this.snapshots.get(sessionId, id);
    return snapshotDetail(snapshot, snapshot.state);
  }

  async create(sessionId: string, label: string | null): Promise<SnapshotJson> {
    return snapshotJson(await this.snapshots.create(sessionId, { label, createdBy: this.user }));
  }

  async restore(sessionId: string, id: number): Promise<{ restoredFrom: number; preRestoreSnapshotId: number; changed: boolean }> {
    const { restoredFrom, preRestoreSnapshotId, changed } = await this.snapshots.restore(sessionId, id, this.user);
    return { restoredFrom, preRestoreSnapshotId, changed };
  }

  async delete(sessionId: string, id: number): Promise<void> {
    await this.snapshots.delete(sessionId, id);
  }

  async exportJson(sessionId: string, id: number): Promise<Record<string, unknown>> {
    return snapshotContent((await this.snapshots.get(sessionId, id)).state);
  }

  async exportYjs(sessionId: string, id: number): Promise<Uint8Array> {
    return (await this.snapshots.get(sessionId, id)).state;
  }

  /** Compacts and unloads whatever a restore loaded, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (!this.store.isOpen) return;
    await this.hocuspocus.hooks('onDestroy', { instance: this.hocuspocus });
    await this.store.close();
  }
}
