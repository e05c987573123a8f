/**
 * Authentication and session binding for the whiteboard path.
 *
 * Hocuspocus reads the document name from inside every message, so a socket could ask for any
 * document. This extension pins each socket to the session id of its URL: a document name that
 * differs is denied, whatever the token says. Observers get a read-only connection.
 */
import type {
  Extension,
  onAuthenticatePayload,
  onDisconnectPayload,
  onTokenSyncPayload,
} from '@hocuspocus/server';
import { admit, type AdmissionLimits } from '../src/admission.ts';
import type { Authenticator, Principal } from '../src/auth.ts';
import { TutorboardError } from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';
import type { ConnectionRegistry, RegisteredConnection } from '../src/registry.ts';
import type { WhiteboardContext } from '../src/whiteboard/WhiteboardContext.ts';

export interface SessionAuthConfiguration {
  authenticator: Authenticator;
  registry: ConnectionRegistry;
  logger?: Logger;
  /** Called with a reason code whenever authentication fails; for metrics. */
  onFailure?: (reason: string) => void;
  /** Per-session and per-user connection limits, checked once the token says who connects. */
  limits: AdmissionLimits;
}

/** What Hocuspocus passes to the provider's `onAuthenticationFailed({ reason })`. */
export const rejectionReasons = {
  wrongDocument: 'forbidden: document name must equal the session id of the URL',
} as const;

export class SessionAuth implements Extension {
  extensionName = 'SessionAuth';
  /** Runs before every other extension, so no document is loaded for a rejected socket. */
  priority = 1000;
  private readonly configuration: SessionAuthConfiguration;

  constructor(configuration: SessionAuthConfiguration) {
    this.configuration = configuration;
  }

  async onAuthenticate(data: onAuthenticatePayload<WhiteboardContext>): Promise<{ principal: Principal }> {
    const { context, documentName, token, connectionConfig } = data;
    if (documentName !== context.sessionId) {
      this.fail('wrong_document', context, documentName);
      throw { reason: rejectionReasons.wrongDocument };
    }
    let principal = context.principal;
    if (!principal) {
      try {
        principal = this.configuration.authenticator.authenticate(token, context.sessionId);
      } catch (error) {
        this.fail(error instanceof TutorboardError ? error.code : 'unauthorized', context, documentName, error);
        throw rejection(error);
      }
    }
    // Observers watch; MessageReceiver refuses their updates and reports them unsynced.
    if (principal.role === 'observer') connectionConfig.readOnly = true;
    this.register(context, principal, documentName);
    context.authenticated();
    return { principal };
  }

  /** A provider refreshing its token must present one that still grants this session. */
  async onTokenSync(data: onTokenSyncPayload<WhiteboardContext>): Promise<{ principal: Principal }> {
    const context = data.context;
    try {
      return { principal: this.configuration.authenticator.authenticate(data.token, context.sessionId) };
    } catch (error) {
      this.fail('token_sync', context, data.documentName, error);
      // Not the Error itself: Hocuspocus spreads it over its Unauthorized close event, so the
      // string `code` replaced the numeric one, and it printed the whole error with its stack.
      throw rejection(error);
    }
  }

  /**
   * Counts the socket in its session as soon as it authenticates (not once its document has
   * loaded), so that sockets authenticating at the same time cannot all pass the limits.
   */
  private register(context: WhiteboardContext, principal: Principal, documentName: string): void {
    const { registry, limits } = this.configuration;
    if (registry.get(context.connectionId)) return;
    // The socket closed while its token was checked: registering it now would never be undone.
    if (!context.isOpen()) throw { reason: 'socket closed' };
    try {
      admit(registry, context.sessionId, principal, limits);
    } catch (error) {
      this.fail((error as TutorboardError).code, context, documentName, error);
      throw rejection(error);
    }
    const entry: RegisteredConnection & { [registeredContext]?: WhiteboardContext } = {
      connectionId: context.connectionId,
      sessionId: context.sessionId,
      userId: principal.userId,
      role: principal.role,
      connectionType: 'whiteboard',
      connectedAt: context.connectedAt,
      lastSeenAt: Date.now(),
      remoteAddress: context.remoteAddress,
      close: closeRegistered,
    };
    entry[registeredContext] = context;
    registry.add(entry);
  }

  /**
   * Only a closed socket leaves the registry (with its close code). A provider that detaches its
   * document (Hocuspocus's close message) keeps the socket open; the server removes the
   * connection when that socket closes.
   */
  async onDisconnect({ context }: onDisconnectPayload<WhiteboardContext>): Promise<void> {
    if (context.closed) this.configuration.registry.remove(context.connectionId, context.closed);
  }

  private fail(reason: string, context: WhiteboardContext, documentName: string, error?: unknown): void {
    this.configuration.onFailure?.(reason);
    this.configuration.logger?.warn(
      {
        event: 'auth_failed',
        path: 'whiteboard',
        reason,
        sessionId: context.sessionId,
        connectionId: context.connectionId,
        documentName,
        detail: error instanceof Error ? error.message : undefined,
      },
      'whiteboard authentication failed',
    );
  }
}

/**
 * What a failed authentication throws: a plain object, which Hocuspocus sends to the provider as
 * `reason` (and, on token refresh, closes that document connection with) without logging a stack.
 */
function rejection(error: unknown): { reason: string } {
  return { reason: error instanceof TutorboardError ? `${error.code}: ${error.message}` : 'unauthorized' };
}

const registeredContext = Symbol('registeredContext');

/** The registry's `close` for every whiteboard entry (one function, not a closure per connection). */
function closeRegistered(this: { [registeredContext]?: WhiteboardContext }, code: number, reason: string): void {
  this[registeredContext]?.closeSocket(code, reason);
}
