import { describe, expect, it } from 'vitest';
import type { RoomMessage } from '../../src/tutor/protocol.ts';
import { acknowledged, authenticationFailed, newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';
import { refusedUpgrade, tutorSocket } from '../utils/tutorSocket.ts';
import { attemptUpgrade } from '../utils/upgrade.ts';
import { nextEvent } from '../utils/waitFor.ts';
import { adminToken, call, sample, scrape } from './helpers.ts';

describe('metrics move with traffic', () => {
  it('connections, sessions, documents, tutor messages, bytes and update-log appends', async () => {
    const t = await startServer();
    const provider = newProvider({ url: t.whiteboardUrl('m1'), name: 'm1', token: t.token({ sid: 'm1', role: 'tutor' }) });
    await synced(provider);
    const a = await tutorSocket(t.tutorUrl('m1', { token: t.token({ sub: 'a', sid: 'm1' }) }));
    const b = await tutorSocket(t.tutorUrl('m1', { token: t.token({ sub: 'b', sid: 'm1' }) }));
    const before = await scrape(t);
    expect(sample(before, 'tutorboard_connections', { type: 'whiteboard' })).toBe(1);
    expect(sample(before, 'tutorboard_connections', { type: 'tutor' })).toBe(2);
    expect(sample(before, 'tutorboard_sessions_active')).toBe(1);
    expect(sample(before, 'tutorboard_documents_loaded')).toBe(1);
    expect(sample(before, 'tutorboard_tutor_rooms')).toBe(1);

    provider.document.getMap('shapes').set('s', { x: 1 });
    await acknowledged(provider);
    a.socket.send({ type: 'chat', text: 'hello' });
    await b.socket.nextOfType<RoomMessage>('chat');

    const after = await scrape(t);
    expect(sample(after, 'tutorboard_tutor_messages_received_total')).toBe(1);
    expect(sample(after, 'tutorboard_tutor_messages_delivered_total')).toBe(1);
    expect(sample(after, 'tutorboard_update_log_append_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'tutorboard_update_log_appended_bytes_total')).toBeGreaterThan(0);
    for (const type of ['whiteboard', 'tutor']) {
      for (const direction of ['received', 'sent']) {
        const name = `tutorboard_websocket_bytes_${direction}_total`;
        expect(sample(after, name, { type }), `${name}{type="${type}"}`).toBeGreaterThan(sample(before, name, { type }) ?? 0);
      }
    }
  });

  it('auth failures by transport and reason, before and after the upgrade', async () => {
    const t = await startServer();
    await refusedUpgrade(t.tutorUrl('af', { token: 'not-a-jwt' }));
    await refusedUpgrade(t.tutorUrl('af', { token: t.token({ sid: 'other' }) }));
    const wrongSession = await attemptUpgrade(t.whiteboardUrl('af'), { Authorization: `Bearer ${t.token({ sid: 'other' })}` });
    expect(wrongSession).toMatchObject({ status: 403 });
    const provider = newProvider({ url: t.whiteboardUrl('af'), name: 'af', token: 'not-a-jwt' });
    await authenticationFailed(provider);

    const text = await scrape(t);
    expect(sample(text, 'tutorboard_auth_failures_total', { type: 'tutor', reason: 'unauthorized' })).toBe(1);
    expect(sample(text, 'tutorboard_auth_failures_total', { type: 'tutor', reason: 'forbidden' })).toBe(1);
    expect(sample(text, 'tutorboard_auth_failures_total', { type: 'whiteboard', reason: 'forbidden' })).toBe(1);
    expect(sample(text, 'tutorboard_auth_failures_total', { type: 'whiteboard', reason: 'unauthorized' })).toBe(1);
    expect(sample(text, 'tutorboard_upgrade_rejections_total', { type: 'tutor', status: '401' })).toBe(1);
    expect(sample(text, 'tutorboard_upgrade_rejections_total', { type: 'whiteboard', status: '403' })).toBe(1);
  });

  it('stale terminations and close codes sent on both paths', async () => {
    const t = await startServer({ HEARTBEAT_INTERVAL_MS: '40', STALE_TIMEOUT_MS: '120' });
    const silent = await tutorSocket(t.tutorUrl('st', { token: t.token({ sub: 'silent', sid: 'st' }) }), { autoPong: false });
    await silent.socket.waitForClose();
    expect(sample(await scrape(t), 'tutorboard_stale_terminations_total', { type: 'tutor' })).toBe(1);

    const provider = newProvider({ url: t.whiteboardUrl('st'), name: 'st', token: t.token({ sub: 'kicked', sid: 'st' }) });
    await synced(provider);
    const tutor = await tutorSocket(t.tutorUrl('st', { token: t.token({ sub: 'kicked', sid: 'st' }) }));
    const closing = nextEvent<[{ event: { code: number } }]>(provider as never, 'close');
    const kick = await call(t, 'POST', '/api/sessions/st/kick', { token: adminToken(t), body: { userId: 'kicked' } });
    expect(kick.status).toBe(200);
    expect((await tutor.socket.waitForClose()).code).toBe(4403);
    expect((await closing)[0].event.code).toBe(4403);
    const text = await scrape(t);
    expect(sample(text, 'tutorboard_close_codes_sent_total', { type: 'tutor', code: '4403' })).toBe(1);
    expect(sample(text, 'tutorboard_close_codes_sent_total', { type: 'whiteboard', code: '4403' })).toBe(1);
    // Hocuspocus's idle timeout (30 s, not configurable here) closes with 4408 through the same path.
    t.server.metrics.whiteboardCloseSent(4408);
    expect(sample(await scrape(t), 'tutorboard_stale_terminations_total', { type: 'whiteboard' })).toBe(1);
  });

  it('compactions and snapshots', async () => {
    const t = await startServer({ STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' });
    const provider = newProvider({ url: t.whiteboardUrl('cs'), name: 'cs', token: t.token({ sid: 'cs' }) });
    await synced(provider);
    provider.document.getText('t').insert(0, 'keep me');
    await acknowledged(provider);
    expect((await call(t, 'POST', '/api/sessions/cs/flush', { token: adminToken(t) })).status).toBe(200);
    const saved = await t.server.snapshots.create('cs', { createdBy: 'tester', label: 'metrics' });
    // Restoring takes a pre-restore snapshot through its own path; both report a duration.
    provider.document.getText('t').insert(0, 'more ');
    await acknowledged(provider);
    await t.server.snapshots.restore('cs', saved.id, 'tester');
    const text = await scrape(t);
    expect(sample(text, 'tutorboard_store_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tutorboard_snapshots_total', { reason: 'manual' })).toBe(1);
    expect(sample(text, 'tutorboard_snapshot_duration_seconds_count', { reason: 'manual' })).toBe(1);
    expect(sample(text, 'tutorboard_snapshot_duration_seconds_sum', { reason: 'manual' })).toBeGreaterThan(0);
    expect(sample(text, 'tutorboard_snapshots_total', { reason: 'pre-restore' })).toBe(1);
    expect(sample(text, 'tutorboard_snapshot_duration_seconds_count', { reason: 'pre-restore' })).toBe(1);
  });
});
