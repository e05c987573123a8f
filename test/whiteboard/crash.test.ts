import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../utils/childServer.ts';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import { tempDir, testSecret } from '../utils/server.ts';
import { Authenticator } from '../../src/auth.ts';

describe('crash safety', () => {
  it('kill -9 loses no update a provider saw acknowledged', async () => {
    const dir = tempDir();
    // Compaction is pushed far away: only the synchronous update log can save these edits.
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), JWT_SECRET: testSecret, STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' };
    const token = new Authenticator({ secret: testSecret }).sign({ sub: 'tutor', sid: 'crash' }, 600);
    const first = await spawnServer(env);
    const url = `ws://127.0.0.1:${first.port}/ws/v2/session/crash/whiteboard`;
    const a = newProvider({ url, name: 'crash', token });
    const b = newProvider({ url, name: 'crash', token });
    await Promise.all([synced(a), synced(b)]);
    for (let i = 0; i < 300; i += 1) {
      a.document.getMap('shapes').set(`a-${i}`, { x: i });
      if (i % 3 === 0) b.document.getArray('strokes').push([`b-${i}`]);
    }
    a.document.getText('title').insert(0, 'Quadratic equations');
    await Promise.all([acknowledged(a), acknowledged(b)]);

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    a.destroy();
    b.destroy();

    const second = await spawnServer(env);
    const reader = newProvider({ url: `ws://127.0.0.1:${second.port}/ws/v2/session/crash/whiteboard`, name: 'crash', token });
    await synced(reader);
    expect(reader.document.getMap('shapes').size).toBe(300);
    expect(reader.document.getArray('strokes').length).toBe(100);
    expect(reader.document.getText('title').toString()).toBe('Quadratic equations');
  });
});
