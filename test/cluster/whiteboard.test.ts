/**
 * Whiteboards across instances: two servers on one PostgreSQL database, joined by one Redis.
 */
import { describe, expect, it } from 'vitest';
import { acknowledged, docMatches } from '../utils/provider.ts';
import { eventually } from '../utils/waitFor.ts';
import { editor, startCluster, storedDocument } from './helpers.ts';

describe('whiteboards across instances', () => {
  it('providers on different instances converge, awareness crosses, and each update is logged once', async () => {
    const { instances: [a, b], database } = await startCluster(2);
    const ada = await editor(a, 'board', 'ada');
    const sam = await editor(b, 'board', 'sam');
    ada.document.getMap('shapes').set('from-a', 1);
    sam.document.getMap('shapes').set('from-b', 2);
    await docMatches(ada.document, () => ada.document.getMap('shapes').get('from-b') === 2);
    await docMatches(sam.document, () => sam.document.getMap('shapes').get('from-a') === 1);
    await Promise.all([acknowledged(ada), acknowledged(sam)]);

    ada.setAwarenessField('cursor', { x: 10, y: 20 });
    await eventually(() => [...sam.awareness!.getStates().values()].some((s) => s.cursor?.x === 10), 5_000, 'ada’s cursor on instance b');

    // Logged by the instance that received it from its client, not again by the other.
    const rows = await database.query<{ instance_id: string }>('SELECT instance_id FROM document_updates WHERE document_name = $1', ['board']);
    expect(rows.map((r) => r.instance_id).sort()).toEqual(['i0', 'i1']);
    const stored = await storedDocument(database, 'board');
    expect(stored.getMap('shapes').toJSON()).toEqual({ 'from-a': 1, 'from-b': 2 });
  });

  it('a board opened later on another instance starts from what the first holds', async () => {
    const { instances: [a, b] } = await startCluster(2);
    const ada = await editor(a, 'late');
    for (let i = 0; i < 50; i += 1) ada.document.getMap('shapes').set(`s${i}`, i);
    await acknowledged(ada);
    const sam = await editor(b, 'late');
    expect(sam.document.getMap('shapes').size).toBe(50);
  });

  it('a Redis outage keeps each instance serving its own clients; when Redis returns, boards edited on both converge', async () => {
    const { instances: [a, b], redis } = await startCluster(2);
    const ada = await editor(a, 'outage', 'ada');
    const sam = await editor(b, 'outage', 'sam');
    ada.document.getMap('shapes').set('before', 1);
    await docMatches(sam.document, () => sam.document.getMap('shapes').has('before'));

    await redis.stop();
    await eventually(() => a.server.redisHealth!.up === false && b.server.redisHealth!.up === false, 10_000, 'both instances see Redis down');
    // Each instance keeps storing and acknowledging its own clients' edits.
    ada.document.getMap('shapes').set('during-a', 1);
    sam.document.getMap('shapes').set('during-b', 1);
    await Promise.all([acknowledged(ada), acknowledged(sam)]);
    expect(sam.document.getMap('shapes').has('during-a')).toBe(false);
    const ready = await fetch(a.httpUrl('/ready'));
    expect(ready.status).toBe(200);

    await redis.start();
    // Nobody edits after the outage: the resync alone brings each side what the other has.
    await docMatches(sam.document, () => sam.document.getMap('shapes').has('during-a'), 15_000);
    await docMatches(ada.document, () => ada.document.getMap('shapes').has('during-b'), 15_000);
    expect(ada.document.getMap('shapes').toJSON()).toEqual(sam.document.getMap('shapes').toJSON());
    const downLines = a.logs.filter((l) => l.event === 'redis_down');
    expect(downLines.length).toBe(1);
  });
});
