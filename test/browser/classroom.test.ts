/**
 * The class panel over TutorChannelClient in real Chromium windows: chat, hints (from the tutor
 * and from a backend), raised hands, and presence as windows come and go.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { join, useBrowser } from '../utils/browser.ts';
import { startServer } from '../utils/server.ts';

const browser = useBrowser();

async function say(page: Page, text: string): Promise<void> {
  await page.locator('.composer-input').fill(text);
  await page.locator('.composer-input').press('Enter');
}

function people(page: Page): Promise<string[]> {
  return page.locator('.people li').evaluateAll((items) => items.map((li) => `${li.getAttribute('data-user')}:${li.getAttribute('data-role')}`));
}

describe('class panel in the browser', () => {
  it('chat and hints arrive, hints styled apart; a raised hand shows for the tutor, who can lower it', async () => {
    const t = await startServer();
    const base = t.baseUrl;
    const ada = await join(browser(), base, { session: 'class', name: 'Ada', role: 'tutor' });
    const ben = await join(browser(), base, { session: 'class', name: 'Ben', role: 'student' });

    await say(ada.page, 'Welcome, Ben!');
    const chat = ben.page.locator('.log .entry[data-kind="chat"]', { hasText: 'Welcome, Ben!' });
    await chat.waitFor();
    expect(await chat.locator('.from').textContent()).toBe('Ada');
    await say(ben.page, 'Hi!');
    await ada.page.locator('.log .entry[data-kind="chat"]', { hasText: 'Hi!' }).waitFor();

    await ada.page.locator('.hint-toggle').check();
    await ada.page.locator('.hint-target').selectOption('Ben');
    await say(ada.page, 'Try drawing the axes first.');
    const hint = ben.page.locator('.log .entry.hint', { hasText: 'Try drawing the axes first.' });
    await hint.waitFor();
    expect(await hint.locator('.meta').textContent()).toMatch(/Hint from Ada to Ben/);
    expect(await hint.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe(
      await chat.evaluate((el) => getComputedStyle(el).backgroundColor),
    );

    // An AI-tutor backend speaks through the admin API; its hint shows the same way.
    const response = await fetch(t.httpUrl('/api/sessions/class/tutor/messages'), {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.token({ sub: 'ai-tutor', sid: 'class', role: 'admin' })}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'hint', text: 'Remember the units.' }),
    });
    expect(response.status).toBeLessThan(300);
    await ben.page.locator('.log .entry.hint', { hasText: 'Remember the units.' }).waitFor();
    await ada.page.locator('.log .entry.hint', { hasText: 'Remember the units.' }).waitFor();

    await ben.page.locator('[data-action="raise-hand"]').click();
    await ada.page.locator('.people li[data-user="Ben"][data-hand="raised"]').waitFor();
    await ada.page.locator('.log .entry.hand', { hasText: 'Ben raised a hand.' }).waitFor();
    await ada.page.locator('.people li[data-user="Ben"] [data-action="lower-hand"]').click();
    await ben.page.locator('.log .entry', { hasText: 'Ada lowered your hand.' }).waitFor();
    expect(await ben.page.locator('[data-action="raise-hand"]').getAttribute('aria-pressed')).toBe('false');
    await ada.page.locator('.people li[data-user="Ben"]:not([data-hand])').waitFor();
  });

  it('presence lists show who is here with their role, and update when a window closes', async () => {
    const t = await startServer();
    const base = t.baseUrl;
    const ada = await join(browser(), base, { session: 'presence', name: 'Ada', role: 'tutor' });
    const ben = await join(browser(), base, { session: 'presence', name: 'Ben', role: 'student' });
    // Cleo raises her hand before Olive arrives: Olive still learns about it.
    const cleo = await join(browser(), base, { session: 'presence', name: 'Cleo', role: 'student' });
    await cleo.page.locator('[data-action="raise-hand"]').click();
    await ada.page.locator('.people li[data-user="Cleo"][data-hand="raised"]').waitFor();
    const olive = await join(browser(), base, { session: 'presence', name: 'Olive', role: 'observer' });

    const everyone = ['Ada:tutor', 'Ben:student', 'Cleo:student', 'Olive:observer'];
    for (const page of [ada.page, ben.page, olive.page]) {
      await page.waitForFunction((n) => document.querySelectorAll('.people li').length === n, everyone.length);
      expect((await people(page)).sort()).toEqual(everyone);
    }
    expect((await people(olive.page))[0]).toBe('Olive:observer'); // "you" first
    await olive.page.locator('.people li[data-user="Cleo"][data-hand="raised"]').waitFor();

    await ben.context.close();
    for (const page of [ada.page, cleo.page, olive.page]) {
      await page.waitForFunction(() => !document.querySelector('.people li[data-user="Ben"]'));
      await page.locator('.log .entry', { hasText: 'Ben left.' }).waitFor();
    }
    expect((await people(ada.page)).sort()).toEqual(['Ada:tutor', 'Cleo:student', 'Olive:observer']);
  });
});
