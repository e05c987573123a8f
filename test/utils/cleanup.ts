/**
 * Resources a helper opens register their disposer here; the setup file runs them after each
 * test (newest first), so no test has to remember to clean up what a helper started.
 */
type Disposer = () => unknown | Promise<unknown>;

const disposers: Disposer[] = [];

export function registerCleanup(dispose: Disposer): void {
  disposers.push(dispose);
}

export async function runCleanup(): Promise<void> {
  const errors: unknown[] = [];
  while (disposers.length > 0) {
    const dispose = disposers.pop()!;
    try {
      await dispose();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}
