/**
 * Renders docs/demo.png: a tutor's and a student's window side by side on one server, after a few
 * strokes, a chat, a hint and a raised hand. Everything is drawn with the mouse, as in the
 * browser tests.
 *
 *   node scripts/screenshot.ts [--out docs/demo.png]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { ensureWebBuilt } from '../web/build.ts';
import { drawStroke, hover, join, launchBrowser, pickTool, waitForShapes, waitSynced } from '../test/utils/browser.ts';
import { runCleanup } from '../test/utils/cleanup.ts';
import { startServer } from '../test/utils/server.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/demo.png' } } });
const viewport = { width: 940, height: 620 };

async function color(page: Page, value: string): Promise<void> {
  await page.locator(`.toolbar [data-color="${value}"]`).click();
}

async function say(page: Page, text: string, hint = false): Promise<void> {
  if (hint) await page.locator('.hint-toggle').check();
  await page.locator('.composer-input').fill(text);
  await page.locator('.composer-input').press('Enter');
  if (hint) await page.locator('.hint-toggle').uncheck();
}

await ensureWebBuilt({ quiet: true });
const server = await startServer({ LOG_LEVEL: 'warn' });
const base = server.httpUrl('').replace(/\/$/, '');
const browser = await launchBrowser();
try {
  const tutor = await join(browser, base, { session: 'algebra-1', name: 'Ms Rivera', role: 'tutor', viewport });
  const student = await join(browser, base, { session: 'algebra-1', name: 'Sam', role: 'student', viewport });
  // Reduced motion: cursors jump instead of sliding, so the picture shows where they are.
  for (const page of [tutor.page, student.page]) await page.emulateMedia({ reducedMotion: 'reduce' });

  // The tutor draws axes and a parabola.
  await pickTool(tutor.page, 'arrow');
  await drawStroke(tutor.page, [[180, 820], [1440, 820]]);
  await drawStroke(tutor.page, [[800, 940], [800, 110]]);
  await pickTool(tutor.page, 'pen');
  await color(tutor.page, '#1971c2');
  const curve: Array<[number, number]> = [];
  for (let x = 430; x <= 1170; x += 20) curve.push([x, 700 - 0.0036 * (x - 800) ** 2]);
  await drawStroke(tutor.page, curve);

  // The student circles the vertex and ticks a point.
  await pickTool(student.page, 'ellipse');
  await color(student.page, '#e03131');
  await drawStroke(student.page, [[730, 640], [870, 760]]);
  await pickTool(student.page, 'pen');
  await color(student.page, '#2f9e44');
  await drawStroke(student.page, [[1040, 520], [1065, 555], [1120, 450]]);
  await pickTool(student.page, 'rect');
  await color(student.page, '#f08c00');
  await drawStroke(student.page, [[1180, 180], [1420, 330]]);

  for (const page of [tutor.page, student.page]) {
    await waitForShapes(page, 6);
    await waitSynced(page);
  }

  await say(student.page, 'Is the vertex the lowest point?');
  await tutor.page.locator('.log .entry', { hasText: 'lowest point' }).waitFor();
  await say(tutor.page, 'Yes: the curve opens upward. Which line is its axis of symmetry?', true);
  await student.page.locator('.log .entry.hint').waitFor();
  await student.page.locator('[data-action="raise-hand"]').click();
  await tutor.page.locator('.people li[data-user="Sam"][data-hand="raised"]').waitFor();

  await hover(student.page, [900, 600]);
  await hover(tutor.page, [560, 330]);
  await tutor.page.waitForFunction(() => [...document.querySelectorAll('.cursor')].some((el) => el.textContent === 'Sam'));
  await student.page.waitForFunction(() => [...document.querySelectorAll('.cursor')].some((el) => el.textContent === 'Ms Rivera'));

  const shots = await Promise.all([tutor.page.screenshot(), student.page.screenshot()]);
  const sheet = await browser.newPage({ viewport: { width: viewport.width * 2 + 48, height: viewport.height + 32 } });
  const images = shots.map((png) => `<img src="data:image/png;base64,${png.toString('base64')}">`).join('');
  await sheet.setContent(
    `<body style="margin:0;padding:16px;display:flex;gap:16px;background:#d0d5dd">` +
      `<style>img{border-radius:10px;box-shadow:0 4px 18px rgb(0 0 0/18%)}</style>${images}</body>`,
  );
  await sheet.waitForFunction(() => [...document.images].every((img) => img.complete));
  writeFileSync(values.out!, await sheet.screenshot());
  console.log(`wrote ${values.out}`);
} finally {
  await browser.close();
  await runCleanup();
}
