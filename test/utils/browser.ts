/**
 * Drives the demo page in Debian's Chromium through playwright-core (no browser download):
 * one browser per test file, one context per simulated person, waits on the page's own state.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { registerCleanup } from './cleanup.ts';

/** CHROMIUM_PATH points elsewhere on machines without Debian's package (e.g. a local Chrome). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Bounded waits on the page (ms): generous for a loaded 2-core CI machine, still far below the test timeout. */
export const pageWaitMs = 10_000;

/**
 * A headless Chromium. playwright-core gives every non-persistent launch a fresh temporary
 * profile (user-data-dir) and removes it on close.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

/** One Chromium for the whole test file: launched before its tests, closed after them. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser is launched in beforeAll');
    return browser;
  };
}

export interface Person {
  context: BrowserContext;
  page: Page;
}

export interface JoinOptions {
  session: string;
  name: string;
  role: 'tutor' | 'student' | 'observer';
  viewport?: { width: number; height: number };
  /** A phone: touch input and a mobile viewport. */
  mobile?: boolean;
  /** What comes after the query, e.g. `#token=…`. */
  hash?: string;
  /** Wait until the board is synced and the class channel is live. @default true */
  waitReady?: boolean;
}

/** A new person (own context: own storage, own network switch) joined through the share link. */
export async function join(browser: Browser, baseUrl: string, options: JoinOptions): Promise<Person> {
  const context = await browser.newContext({
    viewport: options.viewport ?? (options.mobile ? { width: 390, height: 760 } : { width: 1100, height: 720 }),
    ...(options.mobile ? { hasTouch: true, isMobile: true, deviceScaleFactor: 2 } : {}),
  });
  registerCleanup(() => context.close().catch(() => {}));
  const page = await context.newPage();
  page.setDefaultTimeout(pageWaitMs);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  registerCleanup(() => {
    if (errors.length > 0) throw new Error(`page errors in ${options.name}'s window: ${errors.join('; ')}`);
  });
  const query = new URLSearchParams({ session: options.session, name: options.name, role: options.role });
  await page.goto(`${baseUrl}/?${query}${options.hash ?? ''}`);
  if (options.waitReady !== false) await ready(page);
  return { context, page };
}

/** Board synced and class channel live. */
export async function ready(page: Page): Promise<void> {
  await page.locator('.status[data-state="synced"]').waitFor();
  // Attached, not visible: on a phone the class panel is folded away.
  await page.locator('.channel-state[data-state="live"]').waitFor({ state: 'attached' });
}

/** Screen position of a board point (the 1600×1000 sheet, scaled to the window). */
async function screenPoint(page: Page): Promise<(point: [number, number]) => [number, number]> {
  const box = await page.locator('svg.board').boundingBox();
  if (!box) throw new Error('board not visible');
  return ([x, y]) => [box.x + (x / 1600) * box.width, box.y + (y / 1000) * box.height];
}

/** Moves the mouse (no button) to a board point. */
export async function hover(page: Page, point: [number, number]): Promise<void> {
  const at = await screenPoint(page);
  await page.mouse.move(...at(point), { steps: 3 });
}

/** Drags the mouse through board coordinates, pressing the left button. */
export async function drawStroke(page: Page, points: Array<[number, number]>): Promise<void> {
  const at = await screenPoint(page);
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const point of points.slice(1)) await page.mouse.move(...at(point), { steps: 2 });
  await page.mouse.up();
}

/** Draws with a finger: touch events through the DevTools protocol, which the page receives as pointer events. */
export async function touchStroke(person: Person, points: Array<[number, number]>): Promise<void> {
  const at = await screenPoint(person.page);
  const cdp = await person.context.newCDPSession(person.page);
  const touch = (point: [number, number]) => {
    const [x, y] = at(point);
    return [{ x, y, id: 1, radiusX: 4, radiusY: 4, force: 1 }];
  };
  // Timestamps 16 ms apart, and the finger rests on the last point before it lifts: a stroke
  // without them looks like an instant flick, Chromium starts a fling, and the next tap only
  // stops that fling (no click), as on a real phone.
  let timestamp = Date.now() / 1000;
  const send = (type: 'touchStart' | 'touchMove' | 'touchEnd', touchPoints: ReturnType<typeof touch>) =>
    cdp.send('Input.dispatchTouchEvent', { type, touchPoints, timestamp: (timestamp += 0.016) });
  await send('touchStart', touch(points[0]));
  for (const point of points.slice(1)) await send('touchMove', touch(point));
  for (let rest = 0; rest < 10; rest++) await send('touchMove', touch(points[points.length - 1]));
  await send('touchEnd', []);
  await cdp.detach();
}

/** Picks a tool by its toolbar button. */
export async function pickTool(page: Page, tool: 'pen' | 'line' | 'arrow' | 'rect' | 'ellipse' | 'eraser'): Promise<void> {
  await page.locator(`.toolbar [data-tool="${tool}"]`).click();
}

/** How many shapes the page draws. */
export function shapeCount(page: Page): Promise<number> {
  return page.locator('svg.board [data-shape-id]').count();
}

/** Waits until the page draws exactly `count` shapes. */
export async function waitForShapes(page: Page, count: number, ms = pageWaitMs): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll('svg.board [data-shape-id]').length === n, count, { timeout: ms });
}

/** Waits until the board is synced with nothing unacknowledged. */
export async function waitSynced(page: Page): Promise<void> {
  await page.locator('.status[data-state="synced"]').waitFor();
}

/** The page's class channel as `window.tutorboard.channel` (a TutorChannelClient) reports it. */
export function channelInfo(page: Page): Promise<{ state: string; lastSeq: number | undefined; epoch: string | undefined }> {
  return page.evaluate(() => {
    const channel = (window as unknown as { tutorboard: { channel: { state: string; lastSeq?: number; welcome?: { epoch: string } } } }).tutorboard.channel;
    return { state: channel.state, lastSeq: channel.lastSeq, epoch: channel.welcome?.epoch };
  });
}
