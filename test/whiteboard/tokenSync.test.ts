import { describe, expect, it } from 'vitest';
import { acknowledged, docMatches, newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';
import { withTimeout } from '../utils/waitFor.ts';

describe('token refresh (provider.sendToken → onTokenSync)', () => {
  for (const [label, bad] of [
    ['an invalid token', () => 'not-a-jwt'],
    ['a token for another session', (t: Awaited<ReturnType<typeof startServer>>) => t.token({ sub: 'u', sid: 'elsewhere' })],
  ] as const) {
    it(`${label} ends that provider's document connection; its later edits reach nobody`, async () => {
      const t = await startServer();
      const witness = newProvider({ url: t.whiteboardUrl('ts'), name: 'ts', token: t.token({ sub: 'w', sid: 'ts' }) });
      const refresher = newProvider({ url: t.whiteboardUrl('ts'), name: 'ts', token: t.token({ sub: 'u', sid: 'ts' }) });
      await Promise.all([synced(witness), synced(refresher)]);
      refresher.document.getText('t').insert(0, 'before');
      await acknowledged(refresher);
      await docMatches(witness.document, () => witness.document.getText('t').toString() === 'before');

      const failures = t.logs.length;
      // The server ends the document connection with a Close message; the provider reports it
      // through configuration.onClose (it emits no event for it).
      const closed = new Promise<{ event: { reason: string } }>((resolve) => (refresher.configuration.onClose = resolve as never));
      (refresher.configuration as { token: string }).token = bad(t);
      await refresher.sendToken();
      const { event } = await withTimeout(closed, 5_000, 'document connection closed');
      expect(event.reason).toMatch(/^(unauthorized|forbidden): /);
      expect(refresher.isAuthenticated).toBe(false);
      expect(t.logs.slice(failures).find((l) => l.event === 'auth_failed')).toMatchObject({ reason: 'token_sync', sessionId: 'ts' });

      refresher.document.getText('t').insert(0, 'after ');
      // A marker from the witness proves the server is still relaying: the refresher's edit would come first.
      witness.document.getText('marker').insert(0, 'm');
      await acknowledged(witness);
      const third = newProvider({ url: t.whiteboardUrl('ts'), name: 'ts', token: t.token({ sub: 'x', sid: 'ts' }) });
      await synced(third);
      expect(third.document.getText('marker').toString()).toBe('m');
      expect(third.document.getText('t').toString()).toBe('before');
    });
  }
});
