/**
 * Every environment variable tutorboard reads, with its default and meaning, for
 * `tutorboard serve --help`. src/config.ts reads and validates them; test/cli/serveFlags.test.ts
 * checks that this list, config.ts and the README's tables name the same variables.
 */
export interface ConfigVariable {
  name: string;
  /** As shown to people: a value, or `unset`. */
  default: string;
  meaning: string;
}

export const configVariables: readonly ConfigVariable[] = [
  { name: 'PORT', default: '1234', meaning: 'HTTP/WebSocket port (0 picks a free one)' },
  { name: 'HOST', default: '0.0.0.0', meaning: 'interface to bind' },
  { name: 'LISTEN_BACKLOG', default: '4096', meaning: 'pending TCP connections queued while the server accepts (capped by net.core.somaxconn)' },
  { name: 'DATABASE_PATH', default: './data/tutorboard.db', meaning: 'SQLite file (folder created if missing); the development secret is kept beside it' },
  { name: 'DATABASE_URL', default: 'unset', meaning: 'postgres://… : PostgreSQL instead of the SQLite file (what several instances share)' },
  { name: 'PG_POOL_SIZE', default: '10', meaning: 'connections each instance keeps to PostgreSQL (1-1000)' },
  { name: 'NODE_ENV', default: 'unset', meaning: 'development (= unset), test or production (requires JWT_SECRET or JWT_PUBLIC_KEY)' },
  { name: 'JWT_SECRET', default: 'unset', meaning: 'HS256 secret, at least 32 characters' },
  { name: 'JWT_PUBLIC_KEY', default: 'unset', meaning: 'PEM public key (or a path to one): RS256/ES256 by key type' },
  { name: 'JWT_ISSUER', default: 'unset', meaning: 'when set, tokens must carry this iss' },
  { name: 'JWT_AUDIENCE', default: 'unset', meaning: 'when set, tokens must carry this aud' },
  { name: 'JWT_MAX_TTL', default: '24h', meaning: "how far ahead a token's exp may lie (3600, 90s, 15m, 24h, 7d; 0: no limit)" },
  { name: 'JWT_REQUIRE_EXP', default: '1', meaning: '0 accepts tokens without exp' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'fatal, error, warn, info, debug, trace or silent' },
  { name: 'LOG_PRETTY', default: 'unset', meaning: '1 forces human-readable logs (default: pretty on a TTY)' },
  { name: 'LOG_BUFFER_BYTES', default: '8388608', meaning: 'log output held while stdout does not take it; beyond it lines are dropped and counted' },
  { name: 'MAX_BOARD_BYTES', default: '16777216', meaning: 'largest a whiteboard may grow; an update past it is refused (read-only)' },
  { name: 'MAX_MESSAGE_BYTES', default: 'MAX_BOARD_BYTES + 1 MiB', meaning: 'largest whiteboard frame; larger closes with 1009' },
  { name: 'MAX_UNAUTHENTICATED_BYTES', default: '262144', meaning: 'bytes a whiteboard socket may send before it authenticates (1008)' },
  { name: 'AUTH_TIMEOUT_MS', default: '10000', meaning: 'time a whiteboard socket has to authenticate (4401)' },
  { name: 'MAX_DOCUMENTS_PER_SOCKET', default: '4', meaning: 'documents one whiteboard socket may attach (1008)' },
  { name: 'MAX_AWARENESS_BYTES', default: '65536', meaning: 'largest awareness frame (1008)' },
  { name: 'MAX_AWARENESS_CLIENTS', default: '4', meaning: 'awareness client ids one connection may own' },
  { name: 'AWARENESS_FLUSH_MS', default: '50', meaning: "window over which a board's outgoing awareness (cursors) is batched; 0: every loop turn" },
  { name: 'STORAGE_MIN_FREE_BYTES', default: '16777216', meaning: 'free disk below which storage counts as failing (/ready 503)' },
  { name: 'MAX_CONNECTIONS', default: '10000', meaning: 'open WebSockets beyond which upgrades get 503' },
  { name: 'MAX_CONNECTIONS_PER_SESSION', default: '100', meaning: 'connections of one session beyond which students and observers get 429 (tutors still join)' },
  { name: 'MAX_CONNECTIONS_PER_USER', default: '20', meaning: 'connections of one user in one session beyond which upgrades get 429' },
  { name: 'SQLITE_SYNCHRONOUS', default: 'NORMAL', meaning: 'NORMAL survives a crash; FULL also power loss' },
  { name: 'SQLITE_BUSY_TIMEOUT_MS', default: '250', meaning: 'wait for a lock held by another process' },
  { name: 'STORE_DEBOUNCE_MS', default: '2000', meaning: 'compaction debounce after a change' },
  { name: 'STORE_MAX_DEBOUNCE_MS', default: '10000', meaning: 'compaction at least this often while a document changes' },
  { name: 'SHUTDOWN_TIMEOUT_MS', default: '10000', meaning: 'upper bound for a graceful shutdown' },
  { name: 'DRAIN_DELAY_MS', default: '0', meaning: 'on shutdown, time between "not ready" and closing sockets' },
  { name: 'METRICS_TOKEN', default: 'unset', meaning: 'when set, /metrics requires this bearer token' },
  { name: 'TUTOR_MAX_MESSAGE_BYTES', default: '65536', meaning: 'largest tutor frame; larger closes with 1009' },
  { name: 'TUTOR_RATE_LIMIT_PER_SECOND', default: '50', meaning: 'sustained tutor messages/s per connection' },
  { name: 'TUTOR_RATE_LIMIT_BURST', default: '100', meaning: 'tutor rate-limit bucket size' },
  { name: 'TUTOR_INVALID_MESSAGES_PER_MINUTE', default: '20', meaning: 'invalid tutor messages per 60 s before 1008' },
  { name: 'TUTOR_REPLAY_MESSAGES', default: '200', meaning: 'tutor messages kept per session for ?since= (0: off)' },
  { name: 'TUTOR_REPLAY_MS', default: '120000', meaning: 'how long they stay replayable' },
  { name: 'TUTOR_REPLAY_BYTES', default: '1048576', meaning: 'replay memory of one tutor room' },
  { name: 'TUTOR_REPLAY_TOTAL_BYTES', default: '67108864', meaning: 'replay memory of all tutor rooms together (oldest messages go first)' },
  { name: 'TUTOR_EMPTY_ROOM_GRACE_MS', default: '15000', meaning: 'how long an empty tutor room keeps its replay' },
  { name: 'TUTOR_MAX_BUFFERED_BYTES', default: '4194304', meaning: 'send buffer of one tutor socket before 1013' },
  { name: 'HEARTBEAT_INTERVAL_MS', default: '30000', meaning: 'tutor ping sweep period' },
  { name: 'STALE_TIMEOUT_MS', default: '60000', meaning: 'silence after which a tutor socket is terminated' },
  { name: 'SNAPSHOT_INTERVAL_MS', default: '300000', meaning: 'automatic whiteboard snapshot sweep period' },
  { name: 'SNAPSHOT_KEEP', default: '100', meaning: 'automatic snapshots kept per session' },
  { name: 'TUTORBOARD_URL', default: 'http://127.0.0.1:$PORT', meaning: 'where CLI commands reach the running server' },
  { name: 'SERVER_LEASE_INTERVAL_MS', default: '5000', meaning: "how often the server renews its lease on the database file (the offline CLI's liveness check)" },
  { name: 'REDIS_URL', default: 'unset', meaning: 'redis:// URL that joins instances (tutor rooms, presence, admin API across instances); unset: one machine' },
  { name: 'INSTANCE_ID', default: 'hostname-pid', meaning: 'names this instance in logs, metrics and the admin API' },
  { name: 'INSTANCE_TTL_MS', default: '10000', meaning: 'with REDIS_URL: an instance silent this long is gone and its tutor members leave' },
  { name: 'DEMO', default: '1 (0 in production)', meaning: 'serve the demo page at /' },
  { name: 'DEV_TOKENS', default: 'loopback (off in production)', meaning: 'who may get demo tokens from POST /dev/token: loopback, any or off' },
];

/** The variables as aligned lines: name, default, meaning. */
export function describeVariables(): string {
  const nameWidth = Math.max(...configVariables.map((v) => v.name.length));
  const defaultWidth = Math.max(...configVariables.map((v) => v.default.length));
  return configVariables.map((v) => `  ${v.name.padEnd(nameWidth)}  ${v.default.padEnd(defaultWidth)}  ${v.meaning}`).join('\n');
}
