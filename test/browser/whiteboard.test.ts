/**
 * The whiteboard in two (or three) real Chromium windows on one server: strokes and shapes drawn
 * with the mouse, live cursors, undo scoped to one's own edits, observers, and persistence.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { drawStroke, hover, join, pickTool, ready, shapeCount, waitForShapes, waitSynced, useBrowser } from '../utils/browser.ts';
import { startServer } from '../utils/server.ts';

const browser = useBrowser();

/** The path data of every shape, by id. */
function paths(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('svg.board [data-shape-id]')].map((el) => [el.getAttribute('data-shape-id'), el.getAttribute('d')])));
}

describe('whiteboard in the browser', () => {
  it('a stroke and shapes drawn with the mouse in one window appear in the other, the eraser removes them everywhere, cursors follow', async () => {
    const t = await startServer();
    const base = t.baseUrl;
    const ada = await join(browser(), base, { session: 'draw', name: 'Ada', role: 'tutor' });
    const ben = await join(browser(), base, { session: 'draw', name: 'Ben', role: 'student' });

    await drawStroke(ada.page, [[200, 300], [300, 220], [420, 320], [520, 260]]);
    await waitForShapes(ben.page, 1);
    const stroke = ben.page.locator('svg.board [data-kind="pen"]');
    expect(await stroke.getAttribute('data-by')).toBe('Ada');
    // Same data, same drawing: the path data is identical in both windows (once the stroke's last
    // points, which travel after its first ones, have arrived).
    const drawn = await paths(ada.page);
    await ben.page.waitForFunction(
      (expected) => Object.entries(expected).every(([id, d]) => document.querySelector(`svg.board [data-shape-id="${id}"]`)?.getAttribute('d') === d),
      drawn,
    );
    expect(await paths(ben.page)).toEqual(drawn);

    await pickTool(ben.page, 'rect');
    await drawStroke(ben.page, [[800, 200], [1100, 500]]);
    await waitForShapes(ada.page, 2);
    // The rectangle shows while it is dragged; its final corner is the last update of the drag.
    await ada.page.locator('svg.board [data-kind="rect"][d="M800 200H1100V500H800Z"]').waitFor();

    // Ben erases Ada's stroke by wiping across it.
    await pickTool(ben.page, 'eraser');
    await drawStroke(ben.page, [[300, 180], [300, 320]]);
    await waitForShapes(ada.page, 1);
    expect(await ada.page.locator('svg.board [data-shape-id]').getAttribute('data-kind')).toBe('rect');

    // Each window's cursor moves in the other, with its name; closing a window removes it.
    const cursorAt = (page: Page, name: string, left: number, top: number) =>
      page.waitForFunction(
        ({ name, left, top }) =>
          [...document.querySelectorAll<HTMLElement>('.cursor')].some(
            (el) => el.textContent === name && Math.abs(parseFloat(el.style.left) - left) < 1 && Math.abs(parseFloat(el.style.top) - top) < 1,
          ),
        { name, left, top },
      );
    await hover(ada.page, [400, 500]);
    await cursorAt(ben.page, 'Ada', 25, 50);
    await hover(ada.page, [1200, 250]);
    await cursorAt(ben.page, 'Ada', 75, 25);
    await hover(ben.page, [800, 800]);
    await cursorAt(ada.page, 'Ben', 50, 80);
    await ben.context.close();
    await ada.page.waitForFunction(() => ![...document.querySelectorAll('.cursor')].some((el) => el.textContent === 'Ben'));
  });

  it('undo and redo (keyboard and buttons) take back only this window\'s own strokes', async () => {
    const t = await startServer();
    const base = t.baseUrl;
    const ada = await join(browser(), base, { session: 'undo', name: 'Ada', role: 'tutor' });
    const ben = await join(browser(), base, { session: 'undo', name: 'Ben', role: 'student' });
    await drawStroke(ada.page, [[100, 100], [300, 150]]);
    await drawStroke(ben.page, [[100, 600], [300, 650]]);
    await drawStroke(ada.page, [[100, 300], [300, 350]]);
    await waitForShapes(ada.page, 3);
    await waitForShapes(ben.page, 3);

    await ada.page.keyboard.press('Control+z');
    await waitForShapes(ben.page, 2);
    await ada.page.keyboard.press('Control+z');
    await waitForShapes(ben.page, 1);
    expect(await ben.page.locator('svg.board [data-shape-id]').getAttribute('data-by')).toBe('Ben');
    // Nothing of Ada's is left to undo; Ben's stroke is not hers to take back.
    await ada.page.locator('[data-action="undo"]:disabled').waitFor();
    await ada.page.locator('[data-action="redo"]').click();
    await waitForShapes(ben.page, 2);
  });

  it('an observer sees everything live and cannot draw; the page says so', async () => {
    const t = await startServer();
    const base = t.baseUrl;
    const ada = await join(browser(), base, { session: 'observe', name: 'Ada', role: 'tutor' });
    const olive = await join(browser(), base, { session: 'observe', name: 'Olive', role: 'observer' });
    expect(await olive.page.locator('.toolbar').count()).toBe(0);
    await olive.page.locator('.observer-banner', { hasText: 'cannot draw' }).waitFor();

    await drawStroke(olive.page, [[400, 400], [600, 500]]);
    await olive.page.locator('.toast', { hasText: 'cannot draw' }).waitFor();
    expect(await olive.page.locator('.composer-input').isDisabled()).toBe(true);

    // Ada's stroke reaches the observer; had the observer's drag written anything, it would have
    // been first in line to reach Ada's window.
    await drawStroke(ada.page, [[100, 100], [200, 200]]);
    await waitForShapes(olive.page, 1);
    expect(await shapeCount(ada.page)).toBe(1);
    expect(await olive.page.locator('svg.board [data-shape-id]').getAttribute('data-by')).toBe('Ada');
  });

  it('a reload keeps the board (stored on the server), and the link joins directly', async () => {
    const t = await startServer();
    const base = t.baseUrl;
    const ada = await join(browser(), base, { session: 'reload', name: 'Ada', role: 'tutor' });
    await drawStroke(ada.page, [[100, 100], [400, 300], [700, 200]]);
    await pickTool(ada.page, 'ellipse');
    await drawStroke(ada.page, [[900, 300], [1300, 700]]);
    await waitForShapes(ada.page, 2);
    await waitSynced(ada.page);
    const before = await paths(ada.page);
    await ada.page.reload();
    await ready(ada.page);
    await waitForShapes(ada.page, 2);
    expect(await paths(ada.page)).toEqual(before);
    expect(new URL(ada.page.url()).search).toBe('?session=reload&name=Ada&role=tutor');
  });
});
