import { afterEach } from 'vitest';
import { runCleanup } from './cleanup.ts';

afterEach(async () => {
  await runCleanup();
});
