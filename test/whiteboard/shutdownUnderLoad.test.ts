import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../utils/childServer.ts';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import { tempDir, testSecret } from '../utils/server.ts';
import { until } from '../utils/waitFor.ts';
import { writer } from '../utils/writer.ts';
import { Authenticator } from '../../src/auth.ts';

describe('shutdown under load', () => {
  it('SIGTERM while providers are writing: exit 0 within SHUTDOWN_TIMEOUT_MS, nothing acknowledged lost', async () => {
    const dir = tempDir();
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), JWT_SECRET: testSecret, SHUTDOWN_TIMEOUT_MS: '3000', DRAIN_DELAY_MS: '100' };
    const token = new Authenticator({ secret: testSecret }).sign({ sub: 'u', sid: 'busy' }, 600);
    const server = await spawnServer(env);
    const url = `ws://127.0.0.1:${server.port}/ws/v2/session/busy/whiteboard`;
    const providers = [newProvider({ url, name: 'busy', token }), newProvider({ url, name: 'busy', token })];
    await Promise.all(providers.map((p) => synced(p)));
    await Promise.all(providers.map((p) => acknowledged(p)));
    // Unpaced: each provider writes as fast as it can. Before InboundQueue, such a backlog ran as one
    // endless chain of microtasks in the server, starving its timers and signal handling.
    const writers = providers.map((p, i) => writer(p, `p${i}`));
    await Promise.all(providers.map((p, i) => until(() => writers[i].acknowledged >= 40, p as never, 'unsyncedChanges', 10_000, `acks of provider ${i}`)));

    const started = Date.now();
    server.child.kill('SIGTERM');
    // The writers keep going through the drain delay and the 1012 closes.
    expect(await server.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    for (const [i, w] of writers.entries()) {
      w.running = false;
      providers[i].destroy();
    }
    expect(writers.every((w) => w.written > 40)).toBe(true);

    const again = await spawnServer(env);
    const reader = newProvider({ url: `ws://127.0.0.1:${again.port}/ws/v2/session/busy/whiteboard`, name: 'busy', token });
    await synced(reader);
    const shapes = reader.document.getMap('shapes');
    for (const [i, w] of writers.entries()) {
      const missing = [];
      for (let k = 0; k <= w.acknowledged; k += 1) if (!shapes.has(`p${i}-${k}`)) missing.push(k);
      expect(missing, `p${i} acknowledged 0..${w.acknowledged}`).toEqual([]);
    }
    again.child.kill('SIGTERM');
    await again.exited;
  });
});
