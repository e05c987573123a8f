/**
 * The only place that reads `process.env`. Every variable is parsed once, validated, and the
 * result frozen; an invalid value throws a ConfigError that names the variable.
 * The README's configuration tables list every variable read here, with its default.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AdmissionLimits } from './admission.ts';
import { defaultMaxTtlSeconds } from './auth.ts';
import { ConfigError } from './errors.ts';
import { defaultLogBufferBytes } from './logger.ts';
import { defaultAwarenessBatchingConfiguration as awarenessDefaults } from '../extensions/AwarenessBatching.ts';
import { defaultSocketLimits as socketDefaults, type SocketLimits } from './whiteboard/SocketGuard.ts';
import { defaultTutorChannelConfiguration as tutorDefaults, type TutorChannelCollaborators, type TutorChannelConfiguration } from './tutor/TutorChannelConfiguration.ts';

type Env = Record<string, string | undefined>;

export interface Config {
  port: number;
  host: string;
  /** Pending TCP connections the listening socket queues (the kernel caps it at net.core.somaxconn). */
  listenBacklog: number;
  databasePath: string;
  /**
   * PostgreSQL instead of the SQLite file (`postgres://…`); what several instances share.
   * @default undefined (DATABASE_URL)
   */
  databaseUrl: string | undefined;
  /**
   * Connections each instance keeps to PostgreSQL.
   * @default 10 (PG_POOL_SIZE)
   */
  pgPoolSize: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * From NODE_ENV; unset means development. Only production requires a configured key; the
   * others may use the generated development secret.
   * @default 'development'
   */
  mode: Mode;
  /** `mode === 'production'`. */
  production: boolean;
  jwt: {
    secret?: string;
    publicKey?: string;
    issuer?: string;
    audience?: string;
    /** Tokens without `exp` are refused (JWT_REQUIRE_EXP). @default true */
    requireExp: boolean;
    /** Furthest a token's `exp` may lie ahead, in seconds (JWT_MAX_TTL); 0: no limit. @default 86400 */
    maxTtlSeconds: number;
  };
  /** Log output held while stdout does not take it, in bytes; beyond it lines are dropped. @default 8388608 */
  logBufferBytes: number;
  /** Largest WebSocket frame on the whiteboard path; larger closes that socket with 1009. */
  maxMessageBytes: number;
  /** Largest a board's stored Yjs state may grow; an update past it is refused (read-only, with the reason). */
  maxBoardBytes: number;
  /** Free disk space below which storage counts as failing (readiness 503). */
  storageMinFreeBytes: number;
  shutdownTimeoutMs: number;
  /** Open WebSocket connections (both paths) beyond which upgrades get 503. */
  maxConnections: number;
  /** Connections of one session beyond which students and observers get 429; and of one user in a session. */
  admission: AdmissionLimits;
  /** Pre-authentication, attachment and awareness bounds of each whiteboard socket. */
  socketLimits: SocketLimits;
  /**
   * Window over which a board's outgoing awareness (cursors) is collected before it is sent, in
   * milliseconds; 0 sends it every loop turn with the document's updates. @default 50
   */
  awarenessFlushMs: number;
  /** Wait between "not ready" and closing sockets on shutdown, so a load balancer drains first. */
  drainDelayMs: number;
  /** Hocuspocus debounce for compaction of the update log. */
  storeDebounceMs: number;
  storeMaxDebounceMs: number;
  /** SQLite `synchronous`: NORMAL survives a process crash, FULL also survives power loss. */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** How long SQLite waits for another process's lock; the event loop waits with it. */
  sqliteBusyTimeoutMs: number;
  /**
   * Renewal period of the server's lease on its database file; the offline CLI treats a lease
   * not renewed for 3 periods as gone.
   * @default 5000
   */
  serverLeaseIntervalMs: number;
  /**
   * Joins instances (REDIS_URL): tutor rooms, presence and the admin API cross instances through
   * Redis. Unset: one machine, everything in-process.
   * @default undefined
   */
  redisUrl?: string;
  /**
   * Names this instance in logs, metrics and the admin API (INSTANCE_ID).
   * @default hostname + "-" + pid
   */
  instanceId: string;
  /**
   * An instance that has not renewed its heartbeat in Redis for this long is gone: its tutor
   * members leave the rooms of the other instances (INSTANCE_TTL_MS).
   * @default 10000
   */
  instanceTtlMs: number;
  /** The tutor channel's settings; their meaning and defaults are documented in TutorChannelConfiguration. */
  tutor: Omit<TutorChannelConfiguration, TutorChannelCollaborators | 'closeGraceMs'>;
  snapshots: { intervalMs: number; keep: number };
  /** Where CLI commands reach the running server (TUTORBOARD_URL, default http://127.0.0.1:PORT). */
  tutorboardUrl: string;
  metricsToken?: string;
  /** The demo page at `/` and its development token endpoint; see extensions/Demo.ts. */
  demo: DemoSettings;
}

export interface DemoSettings {
  /** Serve the demo page (`DEMO`). @default true outside production, false with NODE_ENV=production */
  enabled: boolean;
  /**
   * Who may mint tokens at `POST /dev/token` (`DEV_TOKENS`): `off`, `loopback` (requests from this
   * machine only), `any`. Never on in production.
   * @default 'loopback' outside production, 'off' with NODE_ENV=production
   */
  devTokens: 'off' | 'loopback' | 'any';
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The NODE_ENV values tutorboard accepts; anything else (a typo such as `prod`) is refused. */
export const modes = ['development', 'production', 'test'] as const;
export type Mode = (typeof modes)[number];

function mode(env: Env): Mode {
  const value = optional(env, 'NODE_ENV');
  if (value === undefined) return 'development';
  const match = modes.find((m) => m === value);
  if (!match) throw new ConfigError('NODE_ENV', `must be ${modes.join(', ')} or unset, got "${value}"`);
  return match;
}

function str(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name, fallback ? '1' : '0').trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be 1 or 0 (true/false), got "${env[name]}"`);
}

/** Seconds: `3600`, `90s`, `15m`, `24h`, `7d`; `0` is allowed (it means "no limit" where documented). */
function durationSeconds(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const match = /^(\d+)\s*([smhd]?)$/i.exec(raw.trim());
  if (!match) throw new ConfigError(name, `must be a duration such as 3600, 90s, 15m, 24h or 7d, got "${raw}"`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2].toLowerCase() as '' | 's' | 'm' | 'h' | 'd'];
  const value = Number(match[1]) * unit;
  if (!Number.isSafeInteger(value)) throw new ConfigError(name, `is too large: "${raw}"`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = str(env, name, fallback).toLowerCase();
  const match = allowed.find((a) => a.toLowerCase() === raw);
  if (!match) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${env[name]}"`);
  return match;
}

function httpUrl(env: Env, name: string, fallback: string): string {
  const value = str(env, name, fallback);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, `must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/**
 * An optional URL of a service (a database, Redis) with one of `protocols`. The value is never
 * echoed: it usually carries a password.
 */
function serviceUrl(env: Env, name: string, protocols: readonly string[], expected: string): string | undefined {
  const value = optional(env, name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `must be a ${expected} URL`);
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(name, `must be a ${expected} URL, got a ${url.protocol}// URL`);
  return value;
}

/** Instance ids go into Redis key names and log lines: letters, digits, `.`, `_`, `-`. */
const instanceIdPattern = /^[A-Za-z0-9._-]{1,100}$/;

function instanceId(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) return `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 80)}-${process.pid}`;
  if (!instanceIdPattern.test(value)) throw new ConfigError(name, `must be 1-100 letters, digits, ".", "_" or "-", got "${value}"`);
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name, fallback ? '1' : '0').toLowerCase();
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new ConfigError(name, `must be 1 or 0, got "${env[name]}"`);
}

/** The demo page is on by default in development only; development tokens never reach production. */
function demoSettings(env: Env, production: boolean): DemoSettings {
  const devTokens = oneOf(env, 'DEV_TOKENS', ['off', 'loopback', 'any'] as const, production ? 'off' : 'loopback');
  if (production && devTokens !== 'off') {
    throw new ConfigError('DEV_TOKENS', 'development tokens cannot be turned on with NODE_ENV=production');
  }
  return { enabled: flag(env, 'DEMO', !production), devTokens };
}

/** A PEM in the variable itself, or a path to a PEM file. */
function pem(env: Env, name: string): string | undefined {
  const value = optional(env, name);
  if (value === undefined || value.includes('-----BEGIN')) return value?.replace(/\\n/g, '\n');
  try {
    return readFileSync(value, 'utf8');
  } catch {
    throw new ConfigError(name, `is neither a PEM key nor a readable file: ${value}`);
  }
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const secret = optional(env, 'JWT_SECRET');
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError('JWT_SECRET', `must be at least 32 characters (got ${secret.length})`);
  }
  const publicKey = pem(env, 'JWT_PUBLIC_KEY');
  if (secret && publicKey) throw new ConfigError('JWT_PUBLIC_KEY', 'set either JWT_SECRET or JWT_PUBLIC_KEY, not both');
  const runMode = mode(env);
  const production = runMode === 'production';
  if (production && !secret && !publicKey) {
    throw new ConfigError('JWT_SECRET', 'is required with NODE_ENV=production (or set JWT_PUBLIC_KEY)');
  }
  const heartbeatIntervalMs = int(env, 'HEARTBEAT_INTERVAL_MS', tutorDefaults.heartbeatIntervalMs, 10);
  const staleTimeoutMs = int(env, 'STALE_TIMEOUT_MS', tutorDefaults.staleTimeoutMs, 10);
  if (staleTimeoutMs < heartbeatIntervalMs) {
    throw new ConfigError('STALE_TIMEOUT_MS', `must be at least HEARTBEAT_INTERVAL_MS (${heartbeatIntervalMs})`);
  }
  const maxBoardBytes = int(env, 'MAX_BOARD_BYTES', 16 * 1024 * 1024, 1024);
  const maxMessageBytes = int(env, 'MAX_MESSAGE_BYTES', maxBoardBytes + 1024 * 1024, 1024);
  if (maxMessageBytes < maxBoardBytes) {
    throw new ConfigError('MAX_MESSAGE_BYTES', `must be at least MAX_BOARD_BYTES (${maxBoardBytes}): a provider sends all its offline work in one frame`);
  }
  const databaseUrl = serviceUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://');
  const redis = serviceUrl(env, 'REDIS_URL', ['redis:', 'rediss:'], 'redis:// or rediss://');
  if (redis !== undefined && databaseUrl === undefined) {
    throw new ConfigError('REDIS_URL', 'needs DATABASE_URL (postgres://…): instances joined by Redis must share one database, and two machines cannot share a SQLite file');
  }
  const config: Config = {
    port: int(env, 'PORT', 1234, 0, 65535),
    host: str(env, 'HOST', '0.0.0.0'),
    listenBacklog: int(env, 'LISTEN_BACKLOG', 4096, 1, 65535),
    databasePath: str(env, 'DATABASE_PATH', './data/tutorboard.db'),
    databaseUrl,
    pgPoolSize: int(env, 'PG_POOL_SIZE', 10, 1, 1000),
    logLevel: oneOf(env, 'LOG_LEVEL', levels, 'info'),
    mode: runMode,
    production,
    jwt: {
      secret,
      publicKey,
      issuer: optional(env, 'JWT_ISSUER'),
      audience: optional(env, 'JWT_AUDIENCE'),
      requireExp: bool(env, 'JWT_REQUIRE_EXP', true),
      maxTtlSeconds: durationSeconds(env, 'JWT_MAX_TTL', defaultMaxTtlSeconds),
    },
    logBufferBytes: int(env, 'LOG_BUFFER_BYTES', defaultLogBufferBytes, 64 * 1024),
    maxBoardBytes,
    // A provider sends all its offline work in one frame: the default fits any board the cap allows.
    maxMessageBytes,
    storageMinFreeBytes: int(env, 'STORAGE_MIN_FREE_BYTES', 16 * 1024 * 1024),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100),
    drainDelayMs: int(env, 'DRAIN_DELAY_MS', 0),
    maxConnections: int(env, 'MAX_CONNECTIONS', 10_000, 1),
    admission: {
      maxConnectionsPerSession: int(env, 'MAX_CONNECTIONS_PER_SESSION', 100, 1),
      maxConnectionsPerUser: int(env, 'MAX_CONNECTIONS_PER_USER', 20, 1),
    },
    socketLimits: {
      maxUnauthenticatedBytes: int(env, 'MAX_UNAUTHENTICATED_BYTES', socketDefaults.maxUnauthenticatedBytes, 1024),
      authTimeoutMs: int(env, 'AUTH_TIMEOUT_MS', socketDefaults.authTimeoutMs, 100),
      maxDocumentsPerSocket: int(env, 'MAX_DOCUMENTS_PER_SOCKET', socketDefaults.maxDocumentsPerSocket, 1),
      maxAwarenessBytes: int(env, 'MAX_AWARENESS_BYTES', socketDefaults.maxAwarenessBytes, 256),
      maxAwarenessClients: int(env, 'MAX_AWARENESS_CLIENTS', socketDefaults.maxAwarenessClients, 1),
    },
    awarenessFlushMs: int(env, 'AWARENESS_FLUSH_MS', awarenessDefaults.flushMs, 0, 1000),
    storeDebounceMs: int(env, 'STORE_DEBOUNCE_MS', 2_000),
    storeMaxDebounceMs: int(env, 'STORE_MAX_DEBOUNCE_MS', 10_000),
    sqliteSynchronous: oneOf(env, 'SQLITE_SYNCHRONOUS', ['NORMAL', 'FULL'] as const, 'NORMAL'),
    sqliteBusyTimeoutMs: int(env, 'SQLITE_BUSY_TIMEOUT_MS', 250, 0, 60_000),
    serverLeaseIntervalMs: int(env, 'SERVER_LEASE_INTERVAL_MS', 5_000, 50, 600_000),
    redisUrl: redis,
    instanceId: instanceId(env, 'INSTANCE_ID'),
    instanceTtlMs: int(env, 'INSTANCE_TTL_MS', 10_000, 200, 600_000),
    tutor: {
      maxMessageBytes: int(env, 'TUTOR_MAX_MESSAGE_BYTES', tutorDefaults.maxMessageBytes, 64),
      heartbeatIntervalMs,
      staleTimeoutMs,
      rateLimitPerSecond: int(env, 'TUTOR_RATE_LIMIT_PER_SECOND', tutorDefaults.rateLimitPerSecond, 1),
      rateLimitBurst: int(env, 'TUTOR_RATE_LIMIT_BURST', tutorDefaults.rateLimitBurst, 1),
      invalidMessagesPerMinute: int(env, 'TUTOR_INVALID_MESSAGES_PER_MINUTE', tutorDefaults.invalidMessagesPerMinute, 1),
      replayMessages: int(env, 'TUTOR_REPLAY_MESSAGES', tutorDefaults.replayMessages),
      replayMs: int(env, 'TUTOR_REPLAY_MS', tutorDefaults.replayMs),
      replayBytes: int(env, 'TUTOR_REPLAY_BYTES', tutorDefaults.replayBytes),
      replayTotalBytes: int(env, 'TUTOR_REPLAY_TOTAL_BYTES', tutorDefaults.replayTotalBytes),
      emptyRoomGraceMs: int(env, 'TUTOR_EMPTY_ROOM_GRACE_MS', tutorDefaults.emptyRoomGraceMs),
      maxBufferedBytes: int(env, 'TUTOR_MAX_BUFFERED_BYTES', tutorDefaults.maxBufferedBytes, 1024),
    },
    snapshots: {
      intervalMs: int(env, 'SNAPSHOT_INTERVAL_MS', 300_000, 10),
      keep: int(env, 'SNAPSHOT_KEEP', 100, 1),
    },
    metricsToken: optional(env, 'METRICS_TOKEN'),
    demo: demoSettings(env, production),
    tutorboardUrl: httpUrl(env, 'TUTORBOARD_URL', `http://127.0.0.1:${int(env, 'PORT', 1234, 0, 65535)}`),
  };
  return Object.freeze(config);
}
