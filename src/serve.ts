/**
 * `tutorboard serve`: start, announce, and stop cleanly on SIGTERM/SIGINT.
 */
import { Authenticator } from './auth.ts';
import type { Config } from './config.ts';
import { resolveSigningKey } from './devSecret.ts';
import { createLogger } from './logger.ts';
import { TutorboardServer } from './server.ts';
import { databaseError, listenError, postgresError, prepareDatabasePath } from './startupErrors.ts';
import { version } from './version.ts';

export async function serve(config: Readonly<Config>): Promise<number> {
  const logger = createLogger({
    level: config.logLevel,
    pretty: process.stdout.isTTY || process.env.LOG_PRETTY === '1',
    maxBufferBytes: config.logBufferBytes,
  });
  logger.info(
    { event: 'starting', mode: config.mode, version, node: process.version, pid: process.pid },
    `tutorboard ${version} starting in ${config.mode} mode${config.mode === 'production' ? '' : ' (NODE_ENV=production for production)'}`,
  );
  // First: the development secret is kept in the database's folder.
  prepareDatabasePath(config.databasePath);
  const key = resolveSigningKey(config, { create: true });
  const authenticator = new Authenticator({ ...config.jwt, secret: key.secret, publicKey: key.publicKey });
  let server: TutorboardServer;
  try {
    server = new TutorboardServer(config, { logger, authenticator });
  } catch (error) {
    throw databaseError(error, config.databasePath);
  }
  if (server.store.engine === 'postgres') {
    try {
      await server.store.open();
    } catch (error) {
      await server.store.close();
      throw postgresError(error, server.store.location);
    }
  }
  let port: number;
  try {
    port = await server.listen();
  } catch (error) {
    await server.store.close();
    throw listenError(error, config.host, config.port);
  }
  if (key.devSecretPath) {
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const token = authenticator.sign({ sub: 'dev-user', sid: '*', role: 'tutor' }, 24 * 3600);
    logger.warn(
      { event: 'dev_secret', path: key.devSecretPath, created: key.created },
      'DEVELOPMENT MODE: no JWT_SECRET or JWT_PUBLIC_KEY set; using a generated development secret. Never run like this in production.',
    );
    // For the developer's eyes, on stderr: stdout is the log stream, which a shipper may collect.
    process.stderr.write(
      `\n  DEVELOPMENT MODE (no JWT_SECRET): development secret in ${key.devSecretPath}\n` +
        `  Development token (sub=dev-user, sid=*, role=tutor, 24h):\n  ${token}\n\n` +
        (config.demo.enabled ? `  Demo page: http://${host}:${port}/  (open it in two windows side by side)\n` : '') +
        `  Whiteboard: ws://${host}:${port}/ws/v2/session/demo/whiteboard  (HocuspocusProvider name "demo", token above)\n` +
        `  Tutor channel: ws://${host}:${port}/ws/v2/session/demo?token=<token>\n` +
        `  More tokens: npx tutorboard token --sub USER --session SESSION --role tutor\n` +
        `  Admin API (/api/sessions): npx tutorboard token --sub you --session '*' --role admin\n\n`,
    );
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ event: 'signal', signal }, 'already shutting down; the update log keeps every acknowledged update');
        return;
      }
      const requestedAt = Date.now();
      logger.info({ event: 'signal', signal }, 'shutdown requested');
      // Backstop: whatever stalls, the process is gone by the deadline a supervisor was promised.
      // Exiting is safe at any point: every acknowledged update is committed to the log.
      const backstop = setTimeout(() => {
        logger.error({ event: 'shutdown_forced' }, 'shutdown did not finish within SHUTDOWN_TIMEOUT_MS; exiting now');
        resolve(0);
      }, config.shutdownTimeoutMs);
      server
        .shutdown(requestedAt)
        .then(
          () => resolve(0),
          (error) => {
            logger.error({ err: error }, 'shutdown failed');
            resolve(1);
          },
        )
        .finally(() => clearTimeout(backstop));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
