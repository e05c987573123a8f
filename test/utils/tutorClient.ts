/**
 * `TutorChannelClient` instances for tests (closed after the test) and a bounded wait for one of
 * their typed events.
 */
import { TutorChannelClient, type TutorChannelClientEvents, type TutorChannelClientOptions } from '../../src/client/index.ts';
import { registerCleanup } from './cleanup.ts';
import type { TestServer } from './server.ts';
import { withTimeout } from './waitFor.ts';

export function newClient(server: TestServer, sessionId: string, sub: string, extra: Partial<TutorChannelClientOptions> = {}) {
  const client = new TutorChannelClient({
    url: server.tutorUrl(sessionId),
    token: () => server.token({ sub, sid: sessionId }),
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    ...extra,
  });
  registerCleanup(() => client.close());
  return client;
}

export function clientEvent<E extends keyof TutorChannelClientEvents>(
  client: TutorChannelClient,
  event: E,
  predicate: (...args: TutorChannelClientEvents[E]) => boolean = () => true,
  ms = 5_000,
): Promise<TutorChannelClientEvents[E]> {
  let dispose = () => {};
  const seen = new Promise<TutorChannelClientEvents[E]>((resolve) => {
    dispose = client.on(event, (...args) => {
      if (predicate(...args)) resolve(args);
    });
  });
  return withTimeout(seen, ms, `client event "${event}"`).finally(() => dispose());
}
