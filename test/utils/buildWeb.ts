/**
 * vitest global setup: the demo page's bundle must be current before the browser and route tests
 * start (npm ci builds it; this catches edits to web/ since). Runs once, in the main process, so
 * parallel test files never race on web/dist.
 */
import { ensureWebBuilt } from '../../web/build.ts';

export default async function setup(): Promise<void> {
  const outcome = await ensureWebBuilt({ quiet: true });
  if (outcome === 'vite-missing') throw new Error('the demo page cannot be built: install the dev dependencies (npm ci)');
}
