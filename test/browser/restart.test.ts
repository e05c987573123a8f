/**
 * The server restarts under open windows (same port, same database): the page's
 * HocuspocusProvider and TutorChannelClient reconnect on their own, the board is still there,
 * and the channel resumes with `?since=`/`epoch` (the restarted room says what was lost).
 */
import { describe, expect, it } from 'vitest';
import { channelInfo, drawStroke, join, ready, waitForShapes, waitSynced, useBrowser } from '../utils/browser.ts';
import { startServer } from '../utils/server.ts';

const browser = useBrowser();

describe('server restart under open windows', () => {
  it('the page reconnects, keeps the board, and the class channel resumes', async () => {
    const first = await startServer();
    const base = first.baseUrl;
    const ada = await join(browser(), base, { session: 'restart', name: 'Ada', role: 'tutor' });
    const ben = await join(browser(), base, { session: 'restart', name: 'Ben', role: 'student' });
    await drawStroke(ada.page, [[100, 100], [600, 400]]);
    await waitForShapes(ben.page, 1);
    await waitSynced(ada.page);
    await ada.page.locator('.composer-input').fill('before the restart');
    await ada.page.locator('.composer-input').press('Enter');
    await ben.page.locator('.log .entry', { hasText: 'before the restart' }).waitFor();
    const before = await channelInfo(ben.page);
    expect(before).toMatchObject({ state: 'open', lastSeq: expect.any(Number) });

    await first.stop();
    for (const page of [ada.page, ben.page]) {
      await page.locator('.status[data-state="offline"]').waitFor();
      await page.locator('.channel-state[data-state="reconnecting"]').waitFor();
    }
    // Drawing goes on while the server is down.
    await drawStroke(ben.page, [[100, 700], [600, 900]]);

    const second = await startServer({ PORT: String(first.port) }, { dir: first.dir });
    expect(second.port).toBe(first.port);
    for (const page of [ada.page, ben.page]) {
      await ready(page);
      await page.locator('.log .entry', { hasText: 'Reconnected.' }).waitFor();
      await waitForShapes(page, 2);
    }
    // The client asked to resume after its last seq; the new room could not serve it and said so.
    await ben.page.locator('.log .entry', { hasText: 'no longer available' }).waitFor();
    const after = await channelInfo(ben.page);
    expect(after.state).toBe('open');
    expect(after.epoch).not.toBe(before.epoch);

    await ben.page.locator('.composer-input').fill('after the restart');
    await ben.page.locator('.composer-input').press('Enter');
    await ada.page.locator('.log .entry[data-kind="chat"]', { hasText: 'after the restart' }).waitFor();
    await ada.page.locator('.people li[data-user="Ben"]').waitFor();
  });
});
