/**
 * Hocuspocus's own events (document loaded/stored, connections, upgrades, shutdown) through
 * `@hocuspocus/extension-logger`, written by our logger: JSON like every other line, at debug.
 * Its request line names the whole URL; only the path is kept (see `redactUrl`).
 */
import { Logger as HocuspocusLogger } from '@hocuspocus/extension-logger';
import { redactUrl, type Logger } from './logger.ts';

const requestLine = /(Incoming HTTP Request to )(\S*)/;

export function hocuspocusLogger(logger: Logger): HocuspocusLogger {
  return new HocuspocusLogger({
    log: (message: string) => logger.debug({ event: 'hocuspocus' }, message.replace(requestLine, (_, prefix: string, url: string) => prefix + redactUrl(url))),
    // Once per update: only worth its cost when someone reads trace output.
    onChange: logger.isLevelEnabled('trace'),
  });
}
