/**
 * Serves the operations endpoints (health, readiness, metrics) and the session admin API from
 * Hocuspocus's `onRequest` hook, on the server's one port. Routes: src/http/opsRoutes.ts and
 * src/http/adminRoutes.ts.
 */
import type { Extension, Hocuspocus, onConfigurePayload, onRequestPayload } from '@hocuspocus/server';
import type * as Y from 'yjs';
import type { Authenticator } from '../src/auth.ts';
import { ClusterAdmin, type LocalSessions } from '../src/cluster/ClusterAdmin.ts';
import type { ClusterBus } from '../src/cluster/ClusterBus.ts';
import type { RedisStatus } from '../src/cluster/RedisHealth.ts';
import { NotFoundError } from '../src/errors.ts';
import { handleAdminRequest, type AdminTarget } from '../src/http/adminRoutes.ts';
import { handleOpsRequest, type OpsTarget } from '../src/http/opsRoutes.ts';
import type { Logger } from '../src/logger.ts';
import type { ConnectionRegistry } from '../src/registry.ts';

/** The parts of the server the endpoints read and steer; read when a request comes in. */
export interface OperationsServer {
  readonly startedAt: number;
  readonly isShuttingDown: boolean;
  readonly authenticator: Authenticator;
  readonly registry: ConnectionRegistry;
  readonly logger: Logger;
  readonly store: { pending(name: string): Promise<{ updates: number; bytes: number }> };
  readonly storageHealth: OpsTarget['storage'];
  readonly persistence: { flush(name: string, document: Y.Doc): Promise<void> };
  readonly tutor: AdminTarget['tutor'] & LocalSessions['tutor'];
  /** What crosses instances: the admin API asks every instance through it. */
  readonly bus: ClusterBus;
  /** Set with REDIS_URL: `/ready` shows it (and stays 200 while Redis is down). */
  readonly redisHealth?: { status(): RedisStatus };
  readonly metrics: { scrape(): Promise<{ contentType: string; body: string }> };
}

export interface OperationsApiConfiguration {
  /** Required, no default. */
  server: OperationsServer;
  /**
   * Bearer token `/metrics` requires; unset serves metrics to anyone who can reach the port.
   * @default undefined (METRICS_TOKEN)
   */
  metricsToken: string | undefined;
  /**
   * Serve `/metrics`; false answers it with 404 `metrics_disabled`.
   * @default true
   */
  metricsEnabled: boolean;
}

export class OperationsApi implements Extension {
  extensionName = 'OperationsApi';
  /** Probes answer before any other request handler runs. */
  priority = 900;
  private readonly ops: OpsTarget;
  private readonly admin: AdminTarget;
  private readonly cluster: ClusterAdmin;
  private instance: Hocuspocus | undefined;

  constructor(configuration: Pick<OperationsApiConfiguration, 'server'> & Partial<OperationsApiConfiguration>) {
    const { server, metricsToken, metricsEnabled = true } = configuration;
    const documents = () => this.instance?.documents ?? new Map<string, Y.Doc>();
    this.ops = {
      startedAt: server.startedAt,
      get isShuttingDown() {
        return server.isShuttingDown;
      },
      storage: server.storageHealth,
      redis: server.redisHealth ? () => server.redisHealth!.status() : undefined,
      metricsToken,
      scrapeMetrics: async () => {
        if (!metricsEnabled) throw new NotFoundError('metrics are turned off in this server', 'metrics_disabled');
        return server.metrics.scrape();
      },
    };
    this.cluster = new ClusterAdmin(server.bus, {
      registry: server.registry,
      tutor: server.tutor,
      loadedDocuments: () => documents().keys(),
      isDocumentLoaded: (name) => documents().has(name),
      pending: (name) => server.store.pending(name),
      flush: async (name) => {
        const document = documents().get(name);
        if (!document) return false;
        await server.persistence.flush(name, document);
        return true;
      },
    });
    this.admin = { authenticator: server.authenticator, logger: server.logger, cluster: this.cluster, tutor: server.tutor };
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
  }

  async onDestroy(): Promise<void> {
    this.cluster.dispose();
  }

  async onRequest({ request, response }: onRequestPayload): Promise<void> {
    // Hocuspocus convention: rejecting with null means "answered, stop here".
    if (await handleOpsRequest(request, response, this.ops)) throw null;
    if (await handleAdminRequest(request, response, this.admin)) throw null;
  }
}
