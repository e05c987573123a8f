import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { acknowledged, authenticationFailed, docMatches, newProvider, synced } from '../utils/provider.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { nextEvent } from '../utils/waitFor.ts';

/** Draws `bytes` of content while the provider is offline, then lets it reconnect. */
async function drawOffline(t: TestServer, name: string, key: string, bytes: number) {
  const provider = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sub: `offline-${key}`, sid: name }) });
  await synced(provider);
  const socket = provider.configuration.websocketProvider;
  const down = nextEvent(socket as never, 'disconnect');
  socket.disconnect();
  await down;
  provider.document.getMap('shapes').set(key, 'x'.repeat(bytes));
  void socket.connect();
  return provider;
}

describe('board size', () => {
  it('offline work larger than the old 2 MiB frame limit syncs in full with the defaults', async () => {
    const t = await startServer();
    const provider = await drawOffline(t, 'big-offline', 'stroke', 3 * 1024 * 1024);
    await synced(provider, 15_000);
    await acknowledged(provider, 15_000);
    expect((t.server.hocuspocus.documents.get('big-offline')!.getMap('shapes').get('stroke') as string).length).toBe(3 * 1024 * 1024);
  });

  it('past MAX_BOARD_BYTES the update is refused once, clearly, for good: no reconnect loop, nothing stored, others unaffected', async () => {
    const t = await startServer({ MAX_BOARD_BYTES: String(256 * 1024) });
    const name = 'capped';
    const tutor = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sub: 'tutor', sid: name, role: 'tutor' }) });
    await synced(tutor);
    tutor.document.getMap('shapes').set('title', 'x'.repeat(10_000));
    await acknowledged(tutor);

    const student = await drawOffline(t, name, 'scribble', 400 * 1024);
    const reason = await authenticationFailed(student, 10_000);
    expect(reason).toMatch(/^board_too_large: .*MAX_BOARD_BYTES/);
    let joins = 0;
    t.server.registry.on('join', () => (joins += 1));
    // The refused socket stays open and quiet: the provider does not reconnect and re-upload.
    const observeMs = 1_500;
    await delay(observeMs);
    expect(joins).toBe(0);
    expect(student.configuration.websocketProvider.status).toBe('connected');
    expect(student.unsyncedChanges).toBeGreaterThan(0);
    const live = t.server.hocuspocus.documents.get(name)!.getMap('shapes');
    expect(live.has('scribble')).toBe(false);
    expect(t.logs.filter((l) => l.event === 'update_refused')).toHaveLength(1);

    // Everyone else keeps drawing.
    tutor.document.getMap('shapes').set('hint', 'look here');
    await acknowledged(tutor);
    await docMatches(student.document, () => student.document.getMap('shapes').get('hint') === 'look here');
    expect(await t.server.persistence.read(name)).not.toBeNull();
  });
});
