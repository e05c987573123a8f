/**
 * A phone-sized window with touch input: drawing with a finger reaches a desktop window, the
 * toolbar fits, and the class panel folds into a sheet with an unread badge.
 */
import { describe, expect, it } from 'vitest';
import { join, touchStroke, waitForShapes, useBrowser } from '../utils/browser.ts';
import { startServer } from '../utils/server.ts';

const browser = useBrowser();

describe('phone', () => {
  it('draws with touch, fits a phone screen, and folds the class panel away with an unread count', async () => {
    const t = await startServer();
    const base = t.baseUrl;
    const ada = await join(browser(), base, { session: 'phone', name: 'Ada', role: 'tutor' });
    const sam = await join(browser(), base, { session: 'phone', name: 'Sam', role: 'student', mobile: true });

    await touchStroke(sam, [[300, 300], [500, 400], [700, 350], [900, 500]]);
    await waitForShapes(ada.page, 1);
    expect(await ada.page.locator('svg.board [data-shape-id]').getAttribute('data-by')).toBe('Sam');

    // Everything fits the 390 px wide screen: no sideways scrolling, the whole sheet and toolbar are on screen.
    const layout = await sam.page.evaluate(() => {
      const rect = (selector: string) => document.querySelector(selector)!.getBoundingClientRect();
      return { scrollWidth: document.documentElement.scrollWidth, board: rect('svg.board').toJSON(), toolbar: rect('.toolbar').toJSON() };
    });
    expect(layout.scrollWidth).toBeLessThanOrEqual(390);
    for (const box of [layout.board, layout.toolbar]) {
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(390);
      expect(box.bottom).toBeLessThanOrEqual(760);
    }
    expect(layout.board.bottom).toBeLessThanOrEqual(layout.toolbar.top);

    // The panel is folded on a phone; a message raises the badge, opening the panel clears it.
    expect(await sam.page.locator('.panel').isVisible()).toBe(false);
    await ada.page.locator('.composer-input').fill('Nice curve!');
    await ada.page.locator('.composer-input').press('Enter');
    await sam.page.locator('.panel-toggle .badge', { hasText: '1' }).waitFor();
    await sam.page.locator('[data-action="toggle-panel"]').tap();
    await sam.page.locator('.app[data-panel="open"] .panel').waitFor();
    await sam.page.locator('.log .entry', { hasText: 'Nice curve!' }).waitFor();
    expect(await sam.page.locator('.panel-toggle .badge').isVisible()).toBe(false);
  });
});
