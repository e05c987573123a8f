/**
 * Going offline in a real browser (context.setOffline): the page says so at once, drawing goes on
 * locally and merges when the network is back, and chat missed meanwhile is replayed (`since`).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawStroke, join, launchBrowser, pickTool, ready, waitForShapes } from '../utils/browser.ts';
import { startServer } from '../utils/server.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('offline in the browser', () => {
  it('drawing offline merges with what others drew meanwhile, and chat missed offline is replayed (since)', async () => {
    const t = await startServer();
    const base = t.httpUrl('').replace(/\/$/, '');
    const ada = await join(browser, base, { session: 'offline', name: 'Ada', role: 'tutor' });
    const ben = await join(browser, base, { session: 'offline', name: 'Ben', role: 'student' });
    await drawStroke(ada.page, [[100, 100], [300, 100]]);
    await waitForShapes(ben.page, 1);

    await ben.context.setOffline(true);
    await ben.page.locator('.status[data-state="offline"]').waitFor();
    await ben.page.locator('.channel-state[data-state="reconnecting"]').waitFor();
    // Ben's socket is gone for the server too before Ada speaks (otherwise it would just be delivered).
    await ada.page.locator('.log .entry', { hasText: 'Ben left.' }).waitFor();

    await pickTool(ben.page, 'rect');
    await drawStroke(ben.page, [[500, 500], [700, 700]]);
    await drawStroke(ben.page, [[800, 500], [1000, 700]]);
    // Meanwhile Ada erases the first stroke, draws another and writes twice.
    await pickTool(ada.page, 'eraser');
    await drawStroke(ada.page, [[200, 50], [200, 150]]);
    await pickTool(ada.page, 'pen');
    await drawStroke(ada.page, [[100, 800], [400, 900]]);
    for (const text of ['first while you were away', 'second while you were away']) {
      await ada.page.locator('.composer-input').fill(text);
      await ada.page.locator('.composer-input').press('Enter');
    }
    await waitForShapes(ada.page, 1);
    await waitForShapes(ben.page, 3); // his two rectangles and the stroke Ada erased while he was away
    expect(await ben.page.locator('.status').getAttribute('data-state')).toBe('offline');

    await ben.context.setOffline(false);
    await ready(ben.page);
    await waitForShapes(ben.page, 3);
    await waitForShapes(ada.page, 3);
    const kinds = (page: typeof ada.page) =>
      page.locator('svg.board [data-shape-id]').evaluateAll((els) => els.map((el) => `${el.getAttribute('data-by')}:${el.getAttribute('data-kind')}`).sort());
    expect(await kinds(ada.page)).toEqual(['Ada:pen', 'Ben:rect', 'Ben:rect']);
    expect(await kinds(ben.page)).toEqual(await kinds(ada.page));

    await ben.page.locator('.log .entry[data-kind="chat"]', { hasText: 'second while you were away' }).waitFor();
    const texts = await ben.page.locator('.log .entry[data-kind="chat"] .text').allTextContents();
    expect(texts).toEqual(['first while you were away', 'second while you were away']);
    expect(await ben.page.locator('.log .entry', { hasText: 'no longer available' }).count()).toBe(0);
  });
});
