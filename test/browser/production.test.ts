/**
 * The demo in production (NODE_ENV=production, DEMO=1): no development tokens, so the page joins
 * with a pasted token or one in the address fragment, and a refused token is shown as refused.
 */
import { describe, expect, it } from 'vitest';
import { drawStroke, join, ready, waitForShapes, useBrowser } from '../utils/browser.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { startServer, testSecret } from '../utils/server.ts';
import jwt from 'jsonwebtoken';

const browser = useBrowser();

describe('demo page in production', () => {
  it('joins with a pasted token or one in the fragment, which then leaves the address bar; versions use a pasted admin token', async () => {
    const t = await startServer({ NODE_ENV: 'production', DEMO: '1' });
    const base = t.baseUrl;
    const tutorToken = t.token({ sub: 'Ms Rivera', sid: 'prod', role: 'tutor' });
    const adminToken = t.token({ sub: 'Ms Rivera', sid: 'prod', role: 'admin' });

    // The form asks for a token; name and role come from it.
    const context = await browser().newContext();
    registerCleanup(() => context.close());
    const page = await context.newPage();
    await page.goto(`${base}/?session=prod`);
    await page.locator('textarea[name="token"]').fill(tutorToken);
    await page.locator('.join-form button[type="submit"]').click();
    await ready(page);
    expect(await page.locator('.me').textContent()).toBe('Ms Rivera · tutor');
    await drawStroke(page, [[100, 100], [500, 500]]);

    const student = await join(browser(), base, {
      session: 'prod',
      name: 'ignored',
      role: 'observer',
      hash: `#token=${t.token({ sub: 'Sam', sid: 'prod', role: 'student' })}`,
    });
    expect(new URL(student.page.url()).hash).toBe('');
    expect(await student.page.locator('.me').textContent()).toBe('Sam · student');
    await waitForShapes(student.page, 1);

    await page.locator('[data-action="versions"]').click();
    await page.locator('.admin-token input').fill(adminToken);
    await page.locator('.admin-token button').click();
    await page.locator('.admin-token').waitFor({ state: 'hidden' });
    await page.locator('[data-action="save-version"]').click();
    await page.locator('.versions li[data-reason="manual"]').waitFor();
  });

  it('an expired token is shown as refused, with the reason, on the board and in the class panel', async () => {
    const t = await startServer({ NODE_ENV: 'production', DEMO: '1' });
    const base = t.baseUrl;
    const expired = jwt.sign({ sub: 'Sam', sid: 'prod', role: 'student', exp: Math.floor(Date.now() / 1000) - 60 }, testSecret);
    const sam = await join(browser(), base, { session: 'prod', name: 'Sam', role: 'student', hash: `#token=${expired}`, waitReady: false });
    const status = sam.page.locator('.status[data-state="refused"]');
    await status.waitFor();
    expect(await status.textContent()).toMatch(/Refused: .*expired/);
    // The class channel's upgrade was refused too (a browser sees only 1006): the client asked why, and stopped.
    await sam.page.locator('.log .entry', { hasText: /The class channel was refused: .*expired/ }).waitFor({ state: 'attached' });
    expect(await sam.page.locator('.channel-state').getAttribute('data-state')).toBe('closed');
    expect(await sam.page.evaluate(() => (window as unknown as { tutorboard: { channel: { state: string } } }).tutorboard.channel.state)).toBe('closed');
  });
});
