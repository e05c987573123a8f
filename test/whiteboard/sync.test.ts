import { describe, expect, it } from 'vitest';
import { acknowledged, docMatches, newProvider, newProviderV3, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';

describe('whiteboard sync', () => {
  it('two editors converge', async () => {
    const t = await startServer();
    const token = t.token({ sid: 'lesson-1', role: 'tutor' });
    const a = newProvider({ url: t.whiteboardUrl('lesson-1'), name: 'lesson-1', token });
    const b = newProvider({ url: t.whiteboardUrl('lesson-1'), name: 'lesson-1', token: t.token({ sub: 'student', sid: 'lesson-1' }) });
    await Promise.all([synced(a), synced(b)]);
    a.document.getMap('shapes').set('s1', { x: 1, y: 2 });
    b.document.getArray('strokes').push(['stroke-1']);
    await docMatches(b.document, () => b.document.getMap('shapes').has('s1'));
    await docMatches(a.document, () => a.document.getArray('strokes').length === 1);
    expect(a.document.getMap('shapes').toJSON()).toEqual(b.document.getMap('shapes').toJSON());
  });

  it('a v3 provider syncs with a v4 provider', async () => {
    const t = await startServer();
    const v4 = newProvider({ url: t.whiteboardUrl('mixed'), name: 'mixed', token: t.token({ sid: 'mixed' }) });
    const v3 = newProviderV3({ url: t.whiteboardUrl('mixed'), name: 'mixed', token: t.token({ sub: 'old', sid: 'mixed' }) });
    await Promise.all([synced(v4), synced(v3)]);
    v3.document.getText('notes').insert(0, 'from v3');
    await docMatches(v4.document, () => v4.document.getText('notes').toString() === 'from v3');
    v4.document.getText('notes').insert(0, 'v4 + ');
    await docMatches(v3.document, () => v3.document.getText('notes').toString() === 'v4 + from v3');
    await acknowledged(v3);
  });

  it('content survives a restart', async () => {
    const first = await startServer();
    const token = first.token({ sid: 'keep' });
    const writer = newProvider({ url: first.whiteboardUrl('keep'), name: 'keep', token });
    await synced(writer);
    writer.document.getMap('shapes').set('circle', { r: 5 });
    writer.document.getText('title').insert(0, 'Fractions');
    await acknowledged(writer);
    writer.destroy();
    await first.stop();

    const second = await startServer({}, { dir: first.dir });
    const reader = newProvider({ url: second.whiteboardUrl('keep'), name: 'keep', token: second.token({ sid: 'keep' }) });
    await synced(reader);
    expect(reader.document.getMap('shapes').get('circle')).toEqual({ r: 5 });
    expect(reader.document.getText('title').toString()).toBe('Fractions');
  });
});
