/**
 * The tutor's versions drawer in real Chromium windows: save a version, restore it (both boards
 * change and the class hears about it), undo the restore.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { drawStroke, join, pickTool, waitForShapes, waitSynced, useBrowser } from '../utils/browser.ts';
import { startServer } from '../utils/server.ts';

const browser = useBrowser();

function kinds(page: Page): Promise<string[]> {
  return page.locator('svg.board [data-shape-id]').evaluateAll((els) => els.map((el) => el.getAttribute('data-kind')!).sort());
}

describe('versions drawer in the browser', () => {
  it('a restore changes every board and announces itself; undo restore brings the board back', async () => {
    const t = await startServer();
    const base = t.baseUrl;
    const ada = await join(browser(), base, { session: 'versions', name: 'Ada', role: 'tutor' });
    const ben = await join(browser(), base, { session: 'versions', name: 'Ben', role: 'student' });
    expect(await ben.page.locator('[data-action="versions"]').count()).toBe(0); // tutors only

    await drawStroke(ada.page, [[100, 100], [500, 300]]);
    await waitForShapes(ben.page, 1);
    await waitSynced(ada.page);
    await ada.page.locator('[data-action="versions"]').click();
    await ada.page.locator('.version-label').fill('first idea');
    await ada.page.locator('[data-action="save-version"]').click();
    const saved = ada.page.locator('.versions li[data-reason="manual"]', { hasText: 'first idea' });
    await saved.waitFor();
    const savedId = Number(await saved.getAttribute('data-snapshot'));

    await pickTool(ben.page, 'ellipse');
    await drawStroke(ben.page, [[800, 400], [1200, 800]]);
    await pickTool(ada.page, 'rect');
    await drawStroke(ada.page, [[900, 100], [1400, 300]]);
    await waitForShapes(ada.page, 3);
    await waitForShapes(ben.page, 3);

    await saved.locator('[data-action="restore"]').click();
    for (const page of [ada.page, ben.page]) {
      await waitForShapes(page, 1);
      await page.locator('.log .entry.restored', { hasText: `Ada restored the board to version #${savedId}.` }).waitFor();
    }
    expect(await kinds(ben.page)).toEqual(['pen']);
    // The server kept the board as it was before the restore, listed in the drawer.
    await ada.page.locator('.versions li[data-reason="pre-restore"]').waitFor();

    await ada.page.locator('[data-action="undo-restore"]').click();
    for (const page of [ada.page, ben.page]) await waitForShapes(page, 3);
    expect(await kinds(ben.page)).toEqual(['ellipse', 'pen', 'rect']);
    await ada.page.locator('.drawer-notice', { hasText: 'Went back to the board before the restore' }).waitFor();
  });
});
