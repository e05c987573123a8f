/**
 * The demo page (web/, built into web/dist) and its development token endpoint, from
 * Hocuspocus's `onRequest` hook. Routes: src/http/demoRoutes.ts. The server knows nothing about
 * the page's code; it only serves the built files.
 */
import { fileURLToPath } from 'node:url';
import type { Extension, onRequestPayload } from '@hocuspocus/server';
import type { Authenticator } from '../src/auth.ts';
import type { DevTokenMode } from '../src/http/devTokenRoute.ts';
import { handleDemoRequest } from '../src/http/demoRoutes.ts';
import type { Logger } from '../src/logger.ts';

export interface DemoConfiguration {
  /** Signs development tokens; without a secret (public key only) the page asks for a pasted token. */
  authenticator: Authenticator;
  /**
   * Serve the page at `/` (for browsers) and its files.
   * @default true (`DEMO`; off with NODE_ENV=production unless DEMO=1)
   */
  pageEnabled: boolean;
  /**
   * Who may call `POST /dev/token`: `off`, `loopback` (this machine only) or `any`.
   * @default 'loopback' (`DEV_TOKENS`; always 'off' with NODE_ENV=production)
   */
  devTokens: DevTokenMode;
  /**
   * Folder of the built page.
   * @default web/dist in the package
   */
  webRoot: string;
  /**
   * Lifetime of a development token, in seconds; the page asks for a new one on every reconnect.
   * @default 3600
   */
  devTokenTtlS: number;
  logger?: Logger;
}

export const defaultDemoConfiguration = {
  pageEnabled: true,
  devTokens: 'loopback',
  webRoot: fileURLToPath(new URL('../web/dist/', import.meta.url)),
  devTokenTtlS: 3600,
} satisfies Partial<DemoConfiguration>;

export class Demo implements Extension {
  extensionName = 'Demo';
  readonly configuration: Readonly<DemoConfiguration>;

  constructor(configuration: Partial<DemoConfiguration> & Pick<DemoConfiguration, 'authenticator'>) {
    this.configuration = Object.freeze({ ...defaultDemoConfiguration, ...configuration });
  }

  async onRequest({ request, response }: onRequestPayload): Promise<void> {
    // Hocuspocus convention: rejecting with null means "answered, stop here".
    if (await handleDemoRequest(request, response, this.configuration)) throw null;
  }
}
