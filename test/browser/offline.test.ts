/**
 * Going offline in a real browser (context.setOffline): the page says so at once, drawing goes on
 * locally and merges when the network is back, chat missed meanwhile is replayed (`since`), and
 * the page says "saving" until the server confirms that what was drawn offline is stored.
 */
import { EventEmitter } from 'node:events';
import type { Extension, beforeHandleMessagePayload } from '@hocuspocus/server';
import { describe, expect, it } from 'vitest';
import { documentUpdateOf } from '../../src/whiteboard/frames.ts';
import { drawStroke, join, pickTool, ready, waitForShapes, waitSynced, useBrowser } from '../utils/browser.ts';
import { startServer } from '../utils/server.ts';
import { nextEvent } from '../utils/waitFor.ts';

/**
 * Once armed, lets one whiteboard update through and holds the next ones (a slow database, a
 * long queue) until released; a connection's frames are handled in order, so everything after
 * a held update waits too. Runs after the update is logged, before Hocuspocus applies and acks it.
 */
class HoldUpdates extends EventEmitter<{ held: [] }> implements Extension {
  extensionName = 'HoldUpdates';
  private armed = false;
  private passed = 0;
  private readonly held: Array<() => void> = [];

  arm(): void {
    this.armed = true;
  }

  release(): void {
    this.armed = false;
    for (const resume of this.held.splice(0)) resume();
  }

  async beforeHandleMessage({ update }: beforeHandleMessagePayload): Promise<void> {
    if (!this.armed || !documentUpdateOf(update)) return;
    if (this.passed++ === 0) return;
    await new Promise<void>((resolve) => {
      this.held.push(resolve);
      this.emit('held');
    });
  }
}

const browser = useBrowser();

describe('offline in the browser', () => {
  it('drawing offline merges with what others drew meanwhile, and chat missed offline is replayed (since)', async () => {
    const t = await startServer();
    const base = t.baseUrl;
    const ada = await join(browser(), base, { session: 'offline', name: 'Ada', role: 'tutor' });
    const ben = await join(browser(), base, { session: 'offline', name: 'Ben', role: 'student' });
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

  it('after a reconnect the board says "saving" until the server confirms the offline work is stored, whatever unsyncedChanges says', async () => {
    const gate = new HoldUpdates();
    const t = await startServer({}, { extensions: [gate] });
    const ben = await join(browser(), t.baseUrl, { session: 'saving', name: 'Ben', role: 'student' });
    await ben.context.setOffline(true);
    await ben.page.locator('.status[data-state="offline"]').waitFor();
    await pickTool(ben.page, 'rect');
    for (const x of [100, 500, 900]) await drawStroke(ben.page, [[x, 100], [x + 200, 300]]);

    gate.arm();
    const held = nextEvent(gate, 'held', () => true, 10_000);
    await ben.context.setOffline(false);
    await held;
    // The provider's counter, reset to 1 on the reconnect, is at 0 after the first acknowledgement.
    await ben.page.waitForFunction(() => {
      const provider = (window as unknown as { tutorboard: { provider: { isSynced: boolean; unsyncedChanges: number } } }).tutorboard.provider;
      return provider.isSynced && provider.unsyncedChanges === 0;
    });
    expect(await ben.page.locator('.status').getAttribute('data-state')).toBe('saving');
    const stored = () => t.server.hocuspocus.documents.get('saving')?.getMap('shapes').size ?? 0;
    expect(stored()).toBeLessThan(3);

    gate.release();
    await waitSynced(ben.page);
    expect(stored()).toBe(3);
  });
});
