/**
 * Guards for the places where tutorboard replaces a method of @hocuspocus/server at runtime
 * (see installAwarenessFastPath.ts, AwarenessBatching.ts): each replacement was written against
 * one upstream implementation, recorded here by a hash of its source. When an upgrade changes
 * that code, the server refuses to start with a message that says what to re-check, instead of
 * silently running a replacement that no longer matches what it replaces.
 */
import { createHash } from 'node:crypto';

export class UpstreamChangedError extends Error {
  constructor(what: string, actual: string, expected: string) {
    super(
      `@hocuspocus/server changed ${what} (source hash ${actual}, tutorboard was written against ${expected}): ` +
        'compare the new upstream code with the replacement in src/hocuspocus/ and docs/upstream/, then update the hash there',
    );
    this.name = 'UpstreamChangedError';
  }
}

/** A short hash of a function's source text. */
export function sourceHash(fn: unknown): string {
  return createHash('sha256').update(typeof fn === 'function' ? fn.toString() : String(fn)).digest('hex').slice(0, 16);
}

/** Throws UpstreamChangedError unless `fn`'s source hashes to `expected`. */
export function assertUpstreamCode(what: string, fn: unknown, expected: string): void {
  const actual = sourceHash(fn);
  if (actual !== expected) throw new UpstreamChangedError(what, actual, expected);
}
