import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../utils/childServer.ts';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import { tempDir, testSecret } from '../utils/server.ts';
import { until } from '../utils/waitFor.ts';
import { writer } from '../utils/writer.ts';
import { Authenticator } from '../../src/auth.ts';

describe('crash safety under load', () => {
  it('kill -9 while providers are still writing keeps every acknowledged change, several times', async () => {
    const dir = tempDir();
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), JWT_SECRET: testSecret, STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' };
    const token = new Authenticator({ secret: testSecret }).sign({ sub: 'tutor', sid: 'midstream' }, 600);
    const acknowledgedByRound: { prefix: string; upTo: number }[] = [];

    for (let round = 0; round < 3; round += 1) {
      const server = await spawnServer(env);
      const url = `ws://127.0.0.1:${server.port}/ws/v2/session/midstream/whiteboard`;
      const providers = [newProvider({ url, name: 'midstream', token }), newProvider({ url, name: 'midstream', token })];
      await Promise.all(providers.map((p) => synced(p)));
      // Counting starts from zero outstanding changes (the initial sync step is acknowledged).
      await Promise.all(providers.map((p) => acknowledged(p)));
      const writers = providers.map((p, i) => writer(p, `r${round}-p${i}`));
      // Kill once both have had a good number of writes acknowledged, while still sending.
      await Promise.all(
        providers.map((p, i) => until(() => writers[i].acknowledged >= 40, p as never, 'unsyncedChanges', 10_000, `acks of provider ${i}`)),
      );
      server.child.kill('SIGKILL');
      expect(await server.exited).toBe('SIGKILL');
      for (const [i, w] of writers.entries()) {
        w.running = false;
        providers[i].destroy();
        // The kill really hit mid-stream: writes were still outstanding.
        expect(w.written).toBeGreaterThan(w.acknowledged);
        acknowledgedByRound.push({ prefix: `r${round}-p${i}`, upTo: w.acknowledged });
      }
    }

    const server = await spawnServer(env);
    const reader = newProvider({ url: `ws://127.0.0.1:${server.port}/ws/v2/session/midstream/whiteboard`, name: 'midstream', token });
    await synced(reader);
    const shapes = reader.document.getMap('shapes');
    for (const { prefix, upTo } of acknowledgedByRound) {
      const missing = [];
      for (let i = 0; i <= upTo; i += 1) if (!shapes.has(`${prefix}-${i}`)) missing.push(i);
      expect(missing, `${prefix} acknowledged 0..${upTo}`).toEqual([]);
    }
    server.child.kill('SIGTERM');
    await server.exited;
  });
});
