/**
 * Hocuspocus's own events (document loaded/stored, connections, upgrades, shutdown) through
 * `@hocuspocus/extension-logger`, written by our logger: JSON like every other line, at debug,
 * with any `token=` in a request URL masked by the logger.
 */
import { Logger as HocuspocusLogger } from '@hocuspocus/extension-logger';
import type { Logger } from './logger.ts';

export function hocuspocusLogger(logger: Logger): HocuspocusLogger {
  return new HocuspocusLogger({
    log: (message: string) => logger.debug({ event: 'hocuspocus' }, message),
    // Once per update: only worth its cost when someone reads trace output.
    onChange: logger.isLevelEnabled('trace'),
  });
}
