/**
 * A raw `ws` client for the tutor channel that records every message, so a test can wait for
 * the one it needs with a bounded timeout. Terminated after the test.
 */
import { WebSocket, type ClientOptions } from 'ws';
import type { IncomingMessage, WelcomeMessage } from '../../src/tutor/protocol.ts';
import { registerCleanup } from './cleanup.ts';
import { withTimeout } from './waitFor.ts';

export interface CloseInfo {
  code: number;
  reason: string;
}

export class TutorSocket {
  readonly ws: WebSocket;
  /** Every message received, in order. */
  readonly received: IncomingMessage[] = [];
  /** Received but not yet returned by `next`. */
  private readonly pending: IncomingMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly closed: Promise<CloseInfo>;

  constructor(url: string, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('the tutor channel sent a binary frame');
      const message = JSON.parse(data.toString()) as IncomingMessage;
      this.received.push(message);
      this.pending.push(message);
      for (const wake of [...this.waiters]) wake();
    });
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    registerCleanup(() => this.ws.terminate());
  }

  /** Resolves with (and consumes) the first unconsumed message for which `predicate` holds. */
  next<T extends IncomingMessage = IncomingMessage>(
    predicate: (message: IncomingMessage) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<T> {
    let wake: () => void = () => {};
    const found = new Promise<T>((resolve) => {
      wake = () => {
        const index = this.pending.findIndex(predicate);
        if (index === -1) return;
        const [message] = this.pending.splice(index, 1);
        this.waiters.delete(wake);
        resolve(message as T);
      };
      this.waiters.add(wake);
      wake();
    });
    return withTimeout(found, timeoutMs, `a tutor message matching ${predicate.toString()}`).finally(() => this.waiters.delete(wake));
  }

  /** Shorthand for the next message of a given `type`. */
  nextOfType<T extends IncomingMessage = IncomingMessage>(type: string, timeoutMs?: number): Promise<T> {
    return this.next<T>((m) => m.type === type, timeoutMs);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  waitForClose(timeoutMs = 5_000): Promise<CloseInfo> {
    return withTimeout(this.closed, timeoutMs, 'the tutor socket to close');
  }

  /** Messages of `type` received so far (consumed or not). */
  receivedOfType(type: string): IncomingMessage[] {
    return this.received.filter((m) => m.type === type);
  }
}

/** Connects and resolves once the welcome arrived. */
export async function tutorSocket(url: string, options: ClientOptions = {}): Promise<{ socket: TutorSocket; welcome: WelcomeMessage }> {
  const socket = new TutorSocket(url, options);
  const welcome = await socket.nextOfType<WelcomeMessage>('welcome');
  return { socket, welcome };
}

/** The HTTP status (and JSON body) an upgrade is refused with; fails if it is accepted. */
export function refusedUpgrade(url: string, options: ClientOptions = {}, timeoutMs = 5_000): Promise<{ status: number; body: any }> {
  const ws = new WebSocket(url, options);
  ws.on('error', () => {});
  registerCleanup(() => ws.terminate());
  const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
    ws.once('open', () => reject(new Error(`upgrade to ${url} was accepted`)));
    ws.once('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
  });
  return withTimeout(answer, timeoutMs, `the upgrade answer from ${url}`);
}
