/**
 * Builds the one HTTP server: Hocuspocus (whiteboard path) and the extensions, on one port,
 * with one lifecycle. `shutdown()` is the orderly stop a deploy needs; it is idempotent.
 */
import { EventEmitter, once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Hocuspocus, type Extension } from '@hocuspocus/server';
import { admit } from './admission.ts';
import { Authenticator } from './auth.ts';
import type { ClusterBus } from './cluster/ClusterBus.ts';
import { LocalBus } from './cluster/LocalBus.ts';
import { RedisBus } from './cluster/RedisBus.ts';
import { RedisHealth } from './cluster/RedisHealth.ts';
import { CloseCode } from './closeCodes.ts';
import type { Config } from './config.ts';
import { ConnectionLog } from './ConnectionLog.ts';
import { hocuspocusLogger } from './hocuspocusLogger.ts';
import { installAwarenessFastPath } from './hocuspocus/installAwarenessFastPath.ts';
import { installSyncReplyCache } from './hocuspocus/installSyncReplyCache.ts';
import { CapacityError, TutorboardError } from './errors.ts';
import { createLogger, redactUrl, type Logger } from './logger.ts';
import { ConnectionRegistry } from './registry.ts';
import { parseSessionRoute, requestUrl, type SessionRoute } from './routes.ts';
import { createStore } from './storage/createStore.ts';
import type { Store } from './storage/Store.ts';
import { leaseUrl, ServerLease } from './storage/ServerLease.ts';
import { StorageHealth } from './storage/StorageHealth.ts';
import { answerPlainRequest, probeHeaders, refusalOf, type UpgradeRefusal } from './upgradeProbe.ts';
import { rejectUpgrade } from './upgradeResponse.ts';
import type { WhiteboardContext } from './whiteboard/WhiteboardContext.ts';
import { WhiteboardSockets } from './whiteboard/WhiteboardSockets.ts';
import { version } from './version.ts';
import { sendError, sendJson } from './http/json.ts';
import { AwarenessBatching } from '../extensions/AwarenessBatching.ts';
import { AwarenessOwnership } from '../extensions/AwarenessOwnership.ts';
import { ClusterDocuments } from '../extensions/ClusterDocuments.ts';
import { Demo } from '../extensions/Demo.ts';
import { DurableUpdates } from '../extensions/DurableUpdates.ts';
import { Metrics } from '../extensions/Metrics.ts';
import { OperationsApi } from '../extensions/OperationsApi.ts';
import { Persistence } from '../extensions/Persistence.ts';
import { SessionAuth } from '../extensions/SessionAuth.ts';
import { SyncReplySeed } from '../extensions/SyncReplySeed.ts';
import { Snapshots } from '../extensions/Snapshots.ts';
import { TutorChannel } from '../extensions/TutorChannel.ts';

export interface ServerOptions {
  logger?: Logger;
  /** Overrides the authenticator built from `config.jwt` (the CLI passes one holding the dev secret). */
  authenticator?: Authenticator;
  /** Further extensions, run after the built-in ones. */
  extensions?: Extension[];
  /** False keeps metrics off the hot paths and `/metrics` answers 404 (for benchmarks). Default true. */
  metrics?: boolean;
  /** The store to use instead of the one the configuration names (`createStore`). */
  store?: Store;
}

export class TutorboardServer {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly registry = new ConnectionRegistry();
  readonly metrics: Metrics;
  readonly store: Store;
  readonly storageHealth: StorageHealth;
  /** Set with REDIS_URL: whether this instance reaches Redis; every Redis user reports into it. */
  readonly redisHealth: RedisHealth | undefined;
  /** Set with REDIS_URL: whiteboards shared with the other instances. */
  readonly clusterDocuments: ClusterDocuments | undefined;
  readonly persistence: Persistence;
  readonly durableUpdates: DurableUpdates;
  readonly snapshots: Snapshots;
  readonly tutor: TutorChannel;
  /** What crosses instances (tutor rooms, admin questions): Redis with REDIS_URL, else this process. */
  readonly bus: ClusterBus;
  readonly hocuspocus: Hocuspocus<WhiteboardContext>;
  readonly httpServer: HttpServer;
  private readonly whiteboard: WhiteboardSockets;
  private readonly connectionLog: ConnectionLog;
  /** 'settled' when a document unloads or a whiteboard connection ends: shutdown re-checks then. */
  private readonly documentEvents = new EventEmitter<{ settled: [] }>();
  private shutdownPromise: Promise<void> | undefined;
  private draining = false;
  private lease: ServerLease | undefined;
  readonly startedAt = Date.now();

  constructor(config: Readonly<Config>, options: ServerOptions = {}) {
    this.config = config;
    // Before any document exists; throws (UpstreamChangedError) if @hocuspocus/server changed under it.
    installAwarenessFastPath();
    const syncReplies = installSyncReplyCache();
    const logger = options.logger ?? createLogger({ level: config.logLevel });
    // In a cluster every line names its instance.
    this.logger = config.redisUrl ? logger.child({ instanceId: config.instanceId }) : logger;
    this.redisHealth = config.redisUrl ? new RedisHealth({ logger: this.logger }) : undefined;
    this.bus =
      config.redisUrl && this.redisHealth
        ? new RedisBus({ url: config.redisUrl, instanceId: config.instanceId, instanceTtlMs: config.instanceTtlMs, logger: this.logger, health: this.redisHealth })
        : new LocalBus({ instanceId: config.instanceId, logger: this.logger });
    this.authenticator = options.authenticator ?? new Authenticator(config.jwt);
    this.store = options.store ?? createStore(config, this.logger);
    this.clusterDocuments = config.redisUrl
      ? new ClusterDocuments({ redisUrl: config.redisUrl, instanceId: config.instanceId, health: this.redisHealth, logger: this.logger })
      : undefined;
    this.storageHealth = new StorageHealth({ logger: this.logger, probe: () => this.store.probe() });
    const metricsOn = options.metrics !== false;
    this.metrics = new Metrics({ sources: this });
    this.connectionLog = new ConnectionLog(this.registry, this.logger);
    this.persistence = new Persistence({
      store: this.store,
      health: this.storageHealth,
      logger: this.logger,
      onAppend: metricsOn ? (_name, bytes, durationMs) => this.metrics.observeAppend(bytes, durationMs) : undefined,
      onCompact: metricsOn ? (_name, _bytes, durationMs) => this.metrics.observeCompaction(durationMs) : undefined,
    });
    this.durableUpdates = new DurableUpdates({
      persistence: this.persistence,
      maxBoardBytes: config.maxBoardBytes,
      logger: this.logger,
      onRefused: metricsOn ? (reason) => this.metrics.updateRefused(reason) : undefined,
    });
    this.snapshots = new Snapshots({
      store: this.store,
      persistence: this.persistence,
      authenticator: this.authenticator,
      logger: this.logger,
      ...config.snapshots,
      notify: (sessionId, message) => this.tutor.publish(sessionId, message),
    });
    this.tutor = new TutorChannel({
      authenticator: this.authenticator,
      registry: this.registry,
      logger: this.logger,
      ...config.tutor,
      admit: (sessionId, principal) => admit(this.registry, sessionId, principal, config.admission),
      rooms: (roomOptions) => this.bus.tutorRooms(roomOptions),
    });
    this.hocuspocus = new Hocuspocus<WhiteboardContext>({
      name: 'tutorboard',
      quiet: true,
      debounce: config.storeDebounceMs,
      maxDebounce: config.storeMaxDebounceMs,
      // Hocuspocus's own pre-auth bounds, in line with the socket guard's (which cuts off first).
      maxUnauthenticatedQueueSize: config.socketLimits.maxUnauthenticatedBytes,
      maxPendingDocuments: config.socketLimits.maxDocumentsPerSocket,
      afterUnloadDocument: async () => void this.documentEvents.emit('settled'),
      onDisconnect: async () => void this.documentEvents.emit('settled'),
      extensions: [
        // Its lines are debug: below that it would only format messages nobody writes.
        ...(this.logger.isLevelEnabled('debug') ? [hocuspocusLogger(this.logger)] : []),
        ...(metricsOn ? [this.metrics] : []),
        new OperationsApi({ server: this, metricsToken: config.metricsToken, metricsEnabled: metricsOn }),
        new SessionAuth({
          authenticator: this.authenticator,
          registry: this.registry,
          logger: this.logger,
          limits: config.admission,
          onFailure: (reason) => this.metrics.authFailure('whiteboard', reason),
        }),
        new AwarenessOwnership({ maxClientsPerConnection: config.socketLimits.maxAwarenessClients, logger: this.logger }),
        new AwarenessBatching({ flushMs: config.awarenessFlushMs }),
        new SyncReplySeed({ cache: syncReplies.cache }),
        this.persistence,
        ...(this.clusterDocuments ? [this.clusterDocuments] : []),
        this.durableUpdates,
        this.snapshots,
        this.tutor,
        new Demo({ authenticator: this.authenticator, pageEnabled: config.demo.enabled, devTokens: config.demo.devTokens, logger: this.logger }),
        ...(options.extensions ?? []),
      ],
    });
    this.whiteboard = new WhiteboardSockets({
      hocuspocus: this.hocuspocus,
      authenticator: this.authenticator,
      registry: this.registry,
      logger: this.logger,
      maxMessageBytes: config.maxMessageBytes,
      limits: config.socketLimits,
      admission: config.admission,
      onCloseSent: (code) => this.metrics.whiteboardCloseSent(code),
    });
    // A board whose last store failed stays in memory (Hocuspocus keeps it rather than lose it):
    // once storage works again, store and unload the ones nobody has open.
    this.storageHealth.on('change', (failure) => {
      if (!failure) this.storeAbandonedDocuments();
    });
    this.httpServer = createHttpServer((req, res) => void this.handleRequest(req, res));
    this.httpServer.on('upgrade', (req, socket, head) => void this.handleUpgrade(req, socket, head));
  }

  /** Starts listening; resolves with the bound port (useful with PORT=0). */
  async listen(port = this.config.port, host = this.config.host): Promise<number> {
    await this.store.open();
    // Before the first client: its room is then shared from the start (bounded: Redis may be away).
    await this.bus.start();
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', reject);
      // A reconnect storm (every client of a restarted instance at once) overflows Node's default
      // backlog of 511 and loses SYNs to retransmission delays; the kernel caps this at somaxconn.
      this.httpServer.listen({ port, host, backlog: this.config.listenBacklog }, () => {
        this.httpServer.off('error', reject);
        resolve();
      });
    });
    const bound = this.port;
    // Taken before any connection can load a document, so the offline CLI never misses this server.
    const address = (this.httpServer.address() as AddressInfo).address;
    const leaseOptions = { url: leaseUrl(address, bound), intervalMs: this.config.serverLeaseIntervalMs, logger: this.logger };
    // Instances of a cluster share their PostgreSQL database on purpose; two on one SQLite file is a mistake.
    this.lease = await ServerLease.acquire(this.store.leases, { ...leaseOptions, warnIfShared: this.store.engine === 'sqlite' });
    await this.hocuspocus.hooks('onListen', { instance: this.hocuspocus, configuration: this.hocuspocus.configuration, port: bound });
    this.logger.info(
      { event: 'listening', host, port: bound, databasePath: this.config.databasePath, instanceId: this.config.instanceId, storage: this.store.engine, database: this.store.location, redis: this.config.redisUrl !== undefined },
      'tutorboard listening',
    );
    return bound;
  }

  get port(): number {
    return (this.httpServer.address() as AddressInfo | null)?.port ?? this.config.port;
  }

  /** True from the moment shutdown begins: new upgrades get 503, readiness fails. */
  get isShuttingDown(): boolean {
    return this.draining;
  }

  private async handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      // Hocuspocus convention: an extension that answers the request rejects to stop the chain.
      await this.hocuspocus.hooks('onRequest', { request, response, instance: this.hocuspocus });
    } catch (error) {
      if (error instanceof TutorboardError) {
        // E.g. a target the URL parser refuses: the client's error, answered with its status.
        this.logger.warn({ event: 'request_rejected', reason: error.code, status: error.status, url: redactUrl(request.url) }, error.message);
        sendError(response, error);
        return;
      }
      if (error) this.logger.error({ err: error, url: redactUrl(request.url) }, 'request handler failed');
      if (error && !response.headersSent) sendJson(response, 500, { error: { code: 'internal', message: 'internal error' } });
      return;
    }
    const url = requestUrl(request.url);
    if (request.method === 'GET' && url.pathname === '/') {
      sendJson(response, 200, {
        name: 'tutorboard',
        version,
        whiteboard: '/ws/v2/session/{sessionId}/whiteboard',
        tutor: '/ws/v2/session/{sessionId}',
      });
      return;
    }
    let route: ReturnType<typeof parseSessionRoute> = null;
    try {
      route = parseSessionRoute(url.pathname);
    } catch (error) {
      if (!(error instanceof TutorboardError)) throw error;
      sendJson(response, error.status, { error: { code: error.code, message: error.message } }, probeHeaders);
      return;
    }
    if (route) {
      const found = route;
      const authorization = request.headers.authorization;
      const refusal = answerPlainRequest(response, found, url, authorization, () => this.upgradeRefusal(authorization, url, found));
      if (refusal) this.logger.debug({ event: 'upgrade_probe', path: found.kind, status: refusal.status, reason: refusal.code }, 'told a client why its upgrade is refused');
      return;
    }
    sendJson(response, 404, { error: { code: 'not_found', message: `no route for ${request.method} ${url.pathname}` } });
  }

  private async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const busy = this.serverRefusal();
    if (busy) {
      if (busy.code !== 'shutting_down') this.logger.warn({ event: 'upgrade_refused', reason: busy.code, url: redactUrl(request.url) }, busy.message);
      rejectUpgrade(socket, busy.status, busy.code, busy.message, busy.headers);
      return;
    }
    try {
      await this.hocuspocus.hooks('onUpgrade', { request, socket, head, instance: this.hocuspocus });
    } catch (error) {
      // Rejected: an extension (the tutor channel) owns this request.
      if (error instanceof TutorboardError) {
        this.logger.warn({ event: 'upgrade_refused', reason: error.code, status: error.status, url: redactUrl(request.url) }, error.message);
        rejectUpgrade(socket, error.status, error.code, error.message);
      } else if (error) {
        this.logger.error({ err: error, url: redactUrl(request.url) }, 'upgrade handler failed');
        rejectUpgrade(socket, 500, 'internal', 'internal error');
      }
      return;
    }
    const url = requestUrl(request.url);
    try {
      const route = parseSessionRoute(url.pathname);
      if (route?.kind !== 'whiteboard') {
        rejectUpgrade(socket, 404, 'not_found', 'no WebSocket endpoint at this path');
        return;
      }
      this.whiteboard.upgrade(request, socket, head, url, route.sessionId);
    } catch (error) {
      if (!(error instanceof TutorboardError)) throw error;
      this.logger.warn(
        { event: 'auth_failed', path: 'whiteboard', reason: error.code, status: error.status, url: redactUrl(request.url) },
        'whiteboard upgrade rejected',
      );
      rejectUpgrade(socket, error.status, error.code, error.message);
    }
  }

  /**
   * Checked before any token work, so a draining or full server spends nothing on a new upgrade.
   * Session and user limits need to know who connects: each path checks them once the token is verified.
   */
  private serverRefusal(): UpgradeRefusal | undefined {
    if (this.draining) return { status: 503, code: 'shutting_down', message: 'server is shutting down; reconnect', headers: { 'Retry-After': '1' } };
    const open = this.whiteboard.size + this.tutor.connectionCount;
    if (open >= this.config.maxConnections) {
      const full = new CapacityError(`server is full (${open} connections, MAX_CONNECTIONS)`, 'server_full', 503);
      return { ...refusalOf(full), headers: { 'Retry-After': '5' } };
    }
    return undefined;
  }

  /** What an upgrade of this request would be refused with (a plain GET asks), or undefined. */
  private upgradeRefusal(authorization: string | undefined, url: URL, route: SessionRoute): UpgradeRefusal | undefined {
    const busy = this.serverRefusal();
    if (busy) return busy;
    if (route.kind === 'tutor') this.tutor.checkUpgrade(authorization, url, route.sessionId);
    else this.whiteboard.check(authorization, url, route.sessionId);
    return undefined;
  }

  private storeAbandonedDocuments(): void {
    for (const [documentName, document] of this.hocuspocus.documents) {
      if (document.getConnectionsCount() > 0 || document.isLoading) continue;
      const payload = { instance: this.hocuspocus, clientsCount: 0, document, documentName, lastContext: {}, lastTransactionOrigin: undefined };
      void this.hocuspocus.storeDocumentHooks(document, payload, true);
    }
  }

  /**
   * The orderly stop: not ready and no new upgrades at once; after the drain delay close the
   * sockets (clients reconnect elsewhere), compact every loaded document, close SQLite.
   * Bounded by `shutdownTimeoutMs` counted from `requestedAt` (the signal), with a reserve for
   * the final flush and close; every acknowledged update is already in the log anyway.
   */
  shutdown(requestedAt = Date.now()): Promise<void> {
    this.shutdownPromise ??= this.runShutdown(requestedAt);
    return this.shutdownPromise;
  }

  private async runShutdown(requestedAt: number): Promise<void> {
    this.draining = true;
    const started = Date.now();
    this.logger.info({ event: 'shutdown_started', drainDelayMs: this.config.drainDelayMs }, 'shutting down');
    const { shutdownTimeoutMs } = this.config;
    const reserveMs = Math.min(250, shutdownTimeoutMs / 10);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, shutdownTimeoutMs - (started - requestedAt) - reserveMs));
      timer.unref();
    });
    const outcome = await Promise.race([this.drain().then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn({ event: 'shutdown_timeout' }, 'shutdown timed out; closing storage now');
      // A drain delay longer than the timeout must still leave clients a restart code, not a reset.
      this.closeSockets();
    }
    // The last leaves reach Redis, then this instance leaves the cluster (its members with it).
    await this.bus.close();
    await this.flushLoadedDocuments();
    // Only now may the offline CLI write: the final compaction above would have trimmed its edits.
    await this.lease?.release();
    this.storageHealth.dispose();
    await this.store.close();
    await this.clusterDocuments?.onDestroy();
    this.httpServer.closeAllConnections();
    this.connectionLog.dispose();
    this.logger.info({ event: 'shutdown_complete', durationMs: Date.now() - started }, 'shutdown complete');
  }

  private async drain(): Promise<void> {
    if (this.config.drainDelayMs > 0) await new Promise((r) => setTimeout(r, this.config.drainDelayMs).unref());
    const closed = new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    this.closeSockets();
    await this.waitForDocumentsUnloaded();
    await this.hocuspocus.hooks('onDestroy', { instance: this.hocuspocus });
    this.whiteboard.close();
    this.httpServer.closeIdleConnections();
    await closed;
  }

  /** Tutor and whiteboard sockets get 1012 so clients reconnect (elsewhere); idempotent. */
  private closeSockets(): void {
    this.tutor.onShutdown();
    this.whiteboard.closeAll(CloseCode.ServiceRestart, 'server restarting');
  }

  /**
   * A document unloads once its last connection is gone and its store has run; stores that a
   * late update (re)scheduled are run at once whenever a connection ends or a document unloads.
   */
  private async waitForDocumentsUnloaded(): Promise<void> {
    this.hocuspocus.flushPendingStores();
    while (this.hocuspocus.getDocumentsCount() > 0) {
      await once(this.documentEvents, 'settled');
      this.hocuspocus.flushPendingStores();
    }
  }

  private async flushLoadedDocuments(): Promise<void> {
    for (const [name, document] of this.hocuspocus.documents) {
      try {
        await this.persistence.flush(name, document);
      } catch (error) {
        this.logger.error({ documentName: name, err: error }, 'final compaction failed; the update log still holds every update');
      }
    }
  }
}
