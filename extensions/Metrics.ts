/**
 * Prometheus metrics for one server, in a prom-client Registry of its own (never the global
 * one), so several servers in one process (tests, benchmarks) do not clash.
 *
 * The hot paths pay a plain increment or nothing: the tutor channel keeps its own counters,
 * socket bytes are read from the TCP sockets, gauges read the registry and Hocuspocus; all of
 * them are turned into metric values only when `/metrics` is scraped. Histograms (append,
 * compaction, snapshot durations) are observed as they happen.
 */
import type { EventEmitter } from 'node:events';
import type { Extension, Hocuspocus, onConfigurePayload, onUpgradePayload } from '@hocuspocus/server';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CloseCode } from '../src/closeCodes.ts';
import { processMetrics } from '../src/metrics/processMetrics.ts';
import { SocketTraffic } from '../src/metrics/SocketTraffic.ts';
import type { ConnectionRegistry, ConnectionType } from '../src/registry.ts';
import { requestPath } from '../src/routes.ts';
import type { TutorStats } from '../src/tutor/TutorStats.ts';
import { onUpgradeRejected } from '../src/upgradeResponse.ts';
import { version } from '../src/version.ts';

/** What the metrics read; fields are read at scrape time, so they may be filled in late. */
export interface MetricsSources {
  registry: ConnectionRegistry;
  tutor: { readonly stats: Readonly<TutorStats>; readonly roomCount: number; readonly replayBytes: number };
  /** Emits `snapshot` (meta with `reason`, optionally a duration in ms as second argument). */
  snapshots?: Pick<EventEmitter, 'on' | 'off'>;
  /** Failed writes by operation, and whether storage takes writes now. */
  storageHealth?: { readonly errors: ReadonlyMap<string, number>; readonly ok: boolean };
  /** With REDIS_URL: whether Redis is reachable (present at construction, or no gauge is registered). */
  redisHealth?: { readonly up: boolean };
  /** Names this instance and, in a cluster, the instances it sees alive. */
  bus?: { readonly instanceId: string; readonly shared: boolean; instances(): string[] };
}

export interface MetricsConfiguration {
  /** Required, no default. */
  sources: MetricsSources;
  /**
   * Prepended to every metric name of this server (not to the default process metrics).
   * @default 'tutorboard_'
   */
  prefix: string;
  /**
   * Also expose prom-client's default process metrics (CPU, memory, GC, event-loop lag).
   * @default true
   */
  processMetrics: boolean;
  /**
   * Buckets of the update-log append histogram, in seconds.
   * @default [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25]
   */
  appendBucketsS: number[];
  /**
   * Buckets of the compaction and snapshot histograms, in seconds.
   * @default [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5]
   */
  storeBucketsS: number[];
}

export const defaultMetricsConfiguration: Omit<MetricsConfiguration, 'sources'> = {
  prefix: 'tutorboard_',
  processMetrics: true,
  appendBucketsS: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
  storeBucketsS: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
};

type UpgradeType = ConnectionType | 'other';

export class Metrics implements Extension {
  extensionName = 'Metrics';
  /** Before the tutor channel, whose onUpgrade ends the hook chain for its path. */
  priority = 900;
  readonly configuration: Readonly<MetricsConfiguration>;
  readonly registry = new Registry();
  private readonly traffic = new SocketTraffic();
  private readonly whiteboardCloseCodes: Record<number, number> = {};
  private instance: Hocuspocus | undefined;
  private readonly onSnapshot = (meta: { reason: string }, durationMs?: number) => {
    this.snapshotsTaken.inc({ reason: meta.reason });
    if (typeof durationMs === 'number') this.observeSnapshot(meta.reason, durationMs);
  };
  private subscribed = false;
  private readonly authFailures: Counter<'type' | 'reason'>;
  private readonly upgradeRejections: Counter<'type' | 'status'>;
  private readonly appendDuration: Histogram;
  private readonly appendedBytes: Counter;
  private readonly compactionDuration: Histogram;
  private readonly snapshotsTaken: Counter<'reason'>;
  private readonly snapshotDuration: Histogram<'reason'>;
  private readonly updatesRefused: Counter<'reason'>;

  constructor(configuration: Partial<MetricsConfiguration> & Pick<MetricsConfiguration, 'sources'>) {
    this.configuration = Object.freeze({ ...defaultMetricsConfiguration, ...configuration });
    const { prefix, sources } = this.configuration;
    const registers = [this.registry];
    const name = (suffix: string) => prefix + suffix;
    const traffic = this.traffic;
    const closeCodes = this.whiteboardCloseCodes;
    const hocuspocus = () => this.instance;

    new Gauge({ name: name('info'), help: 'Always 1; the version label says what runs.', labelNames: ['version'], registers }).set({ version }, 1);
    new Gauge({
      name: name('connections'),
      help: 'Open, authenticated connections by transport.',
      labelNames: ['type'],
      registers,
      collect() {
        this.set({ type: 'whiteboard' }, sources.registry.count('whiteboard'));
        this.set({ type: 'tutor' }, sources.registry.count('tutor'));
      },
    });
    new Gauge({
      name: name('sessions_active'),
      help: 'Sessions with at least one open connection.',
      registers,
      collect() {
        this.set(sources.registry.sessions().length);
      },
    });
    new Gauge({
      name: name('documents_loaded'),
      help: 'Whiteboard documents held in memory.',
      registers,
      collect() {
        this.set(hocuspocus()?.getDocumentsCount() ?? 0);
      },
    });
    new Gauge({
      name: name('tutor_rooms'),
      help: 'Tutor rooms in memory (including empty ones kept for replay).',
      registers,
      collect() {
        this.set(sources.tutor.roomCount);
      },
    });
    new Gauge({
      name: name('tutor_replay_bytes'),
      help: 'Bytes the tutor rooms hold for ?since= replay, all rooms together (at most TUTOR_REPLAY_TOTAL_BYTES).',
      registers,
      collect() {
        this.set(sources.tutor.replayBytes);
      },
    });
    const tutorCounter = (suffix: string, help: string, read: (stats: Readonly<TutorStats>) => number) =>
      new Counter({
        name: name(suffix),
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read(sources.tutor.stats));
        },
      });
    tutorCounter('tutor_messages_received_total', 'Frames received on tutor sockets, valid or not.', (s) => s.messagesReceived);
    tutorCounter('tutor_messages_delivered_total', 'Room messages written to tutor sockets (one message to five peers counts five).', (s) => s.messagesDelivered);
    tutorCounter('tutor_messages_invalid_total', 'Tutor frames answered with invalid_message or unsupported_data.', (s) => s.invalidMessages);
    tutorCounter('tutor_messages_rate_limited_total', 'Tutor frames dropped by the rate limit.', (s) => s.rateLimited);
    new Counter({
      name: name('stale_terminations_total'),
      help: 'Connections cut for silence: the tutor heartbeat sweep, the whiteboard idle timeout (4408).',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        this.inc({ type: 'tutor' }, sources.tutor.stats.staleTerminations);
        this.inc({ type: 'whiteboard' }, closeCodes[CloseCode.Stale] ?? 0);
      },
    });
    new Counter({
      name: name('close_codes_sent_total'),
      help: 'WebSocket close frames the server sent, by transport and code.',
      labelNames: ['type', 'code'],
      registers,
      collect() {
        this.reset();
        for (const [code, n] of Object.entries(sources.tutor.stats.closeCodes)) this.inc({ type: 'tutor', code }, n);
        for (const [code, n] of Object.entries(closeCodes)) this.inc({ type: 'whiteboard', code }, n);
      },
    });
    for (const [direction, field] of [['received', 'received'], ['sent', 'sent']] as const) {
      new Counter({
        name: name(`websocket_bytes_${direction}_total`),
        help: `Bytes ${direction} on WebSocket connections (TCP level: frames and upgrade included), by transport.`,
        labelNames: ['type'],
        registers,
        collect() {
          this.reset();
          const totals = traffic.totals();
          this.inc({ type: 'whiteboard' }, totals.whiteboard[field]);
          this.inc({ type: 'tutor' }, totals.tutor[field]);
        },
      });
    }
    this.authFailures = new Counter({
      name: name('auth_failures_total'),
      help: 'Failed authentications (before and after the upgrade), by transport and reason.',
      labelNames: ['type', 'reason'],
      registers,
    });
    this.upgradeRejections = new Counter({
      name: name('upgrade_rejections_total'),
      help: 'WebSocket upgrades answered with an HTTP error, by transport and status.',
      labelNames: ['type', 'status'],
      registers,
    });
    this.appendDuration = new Histogram({
      name: name('update_log_append_duration_seconds'),
      help: 'Time to commit one whiteboard update to the SQLite update log (before the client is acknowledged).',
      buckets: this.configuration.appendBucketsS,
      registers,
    });
    this.appendedBytes = new Counter({ name: name('update_log_appended_bytes_total'), help: 'Bytes of whiteboard updates appended to the log.', registers });
    this.compactionDuration = new Histogram({
      name: name('store_duration_seconds'),
      help: 'Time to compact a document (write its state, trim its log) in one transaction.',
      buckets: this.configuration.storeBucketsS,
      registers,
    });
    new Counter({
      name: name('storage_errors_total'),
      help: 'Failed storage writes (update log appends, compactions, readiness probes), by operation.',
      labelNames: ['operation'],
      registers,
      collect() {
        this.reset();
        for (const [operation, n] of sources.storageHealth?.errors ?? []) this.inc({ operation }, n);
      },
    });
    new Gauge({
      name: name('storage_up'),
      help: '1 while storage takes writes, 0 from a failed write until a write or probe succeeds again.',
      registers,
      collect() {
        this.set(sources.storageHealth?.ok === false ? 0 : 1);
      },
    });
    if (sources.bus) {
      new Gauge({ name: name('instance_info'), help: 'Always 1; instance_id names this instance (INSTANCE_ID).', labelNames: ['instance_id'], registers }).set(
        { instance_id: sources.bus.instanceId },
        1,
      );
    }
    if (sources.redisHealth) {
      const health = sources.redisHealth;
      new Gauge({
        name: name('redis_up'),
        help: '1 while every Redis connection of this instance works, 0 during an outage (rooms then serve local members only).',
        registers,
        collect() {
          this.set(health.up ? 1 : 0);
        },
      });
    }
    if (sources.bus?.shared) {
      const bus = sources.bus;
      new Gauge({
        name: name('cluster_instances'),
        help: 'Instances with a fresh heartbeat in Redis, this one included, as this instance last saw them.',
        registers,
        collect() {
          this.set(bus.instances().length);
        },
      });
    }
    this.updatesRefused = new Counter({
      name: name('whiteboard_updates_refused_total'),
      help: 'Whiteboard updates neither applied nor acknowledged, by reason (storage_unavailable, invalid_update, board_too_large).',
      labelNames: ['reason'],
      registers,
    });
    this.snapshotsTaken = new Counter({ name: name('snapshots_total'), help: 'Snapshots stored, by reason.', labelNames: ['reason'], registers });
    this.snapshotDuration = new Histogram({
      name: name('snapshot_duration_seconds'),
      help: 'Time to take and store a snapshot, by reason.',
      labelNames: ['reason'],
      buckets: this.configuration.storeBucketsS,
      registers,
    });
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
    if (!this.subscribed) {
      this.configuration.sources.snapshots?.on('snapshot', this.onSnapshot);
      this.subscribed = true;
    }
  }

  /** Every upgrade passes here first: its socket's bytes are counted, its refusal too. */
  async onUpgrade({ request, socket }: onUpgradePayload): Promise<void> {
    // The raw path: a target the URL parser refuses is still counted (and answered 400 later).
    const type = upgradeType(requestPath(request.url));
    if (type !== 'other') this.traffic.track(socket, type);
    onUpgradeRejected(socket, this.rejected[type]);
  }

  /** One listener per upgrade type, shared by every socket (an accepted socket keeps its listener). */
  private readonly rejected: Record<UpgradeType, (status: number, code: string) => void> = {
    whiteboard: (status, code) => this.upgradeRejected('whiteboard', status, code),
    tutor: (status, code) => this.upgradeRejected('tutor', status, code),
    other: (status, code) => this.upgradeRejected('other', status, code),
  };

  private upgradeRejected(type: UpgradeType, status: number, code: string): void {
    this.upgradeRejections.inc({ type, status: String(status) });
    if (status === 401 || status === 403) this.authFailure(type, code);
  }

  async onDestroy(): Promise<void> {
    if (this.subscribed) this.configuration.sources.snapshots?.off('snapshot', this.onSnapshot);
    this.subscribed = false;
    this.traffic.clear();
  }

  /** An authentication failure; pre-upgrade refusals are counted here already. */
  authFailure(type: UpgradeType, reason: string): void {
    this.authFailures.inc({ type, reason });
  }

  /** A close frame the whiteboard path sent (the tutor channel counts its own). */
  whiteboardCloseSent(code: number): void {
    this.whiteboardCloseCodes[code] = (this.whiteboardCloseCodes[code] ?? 0) + 1;
  }

  observeAppend(bytes: number, durationMs: number): void {
    this.appendDuration.observe(durationMs / 1000);
    this.appendedBytes.inc(bytes);
  }

  /** A client's whiteboard update that was not applied (DurableUpdates). */
  updateRefused(reason: string): void {
    this.updatesRefused.inc({ reason });
  }

  observeCompaction(durationMs: number): void {
    this.compactionDuration.observe(durationMs / 1000);
  }

  /** For the snapshot code: how long taking and storing one snapshot took. */
  observeSnapshot(reason: string, durationMs: number): void {
    this.snapshotDuration.observe({ reason }, durationMs / 1000);
  }

  /** The text exposition of this server's metrics, followed by the process metrics. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    let body = await this.registry.metrics();
    if (this.configuration.processMetrics) body += await processMetrics().metrics();
    return { contentType: this.registry.contentType, body };
  }
}

function upgradeType(pathname: string): UpgradeType {
  if (!pathname.startsWith('/ws/v2/session/')) return 'other';
  return /\/whiteboard\/?$/.test(pathname) ? 'whiteboard' : 'tutor';
}
