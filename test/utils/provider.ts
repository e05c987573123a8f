/**
 * Real HocuspocusProvider clients (v4, or the v3 package still in the field) over loopback.
 * Each is destroyed after the test.
 */
import { HocuspocusProvider } from '@hocuspocus/provider';
import { HocuspocusProvider as HocuspocusProviderV3 } from '@hocuspocus/provider-v3';
import * as Y from 'yjs';
import { registerCleanup } from './cleanup.ts';
import { nextEvent, until, withTimeout } from './waitFor.ts';

export interface ProviderOptions {
  url: string;
  name: string;
  token?: string | null;
  document?: Y.Doc;
  version?: 3 | 4;
  onAuthenticationFailed?: (data: { reason: string }) => void;
}

export type AnyProvider = HocuspocusProvider | HocuspocusProviderV3;

export function newProvider(options: ProviderOptions): HocuspocusProvider {
  const provider = new HocuspocusProvider({
    url: options.url,
    name: options.name,
    token: options.token ?? null,
    document: options.document ?? new Y.Doc(),
    ...(options.onAuthenticationFailed ? { onAuthenticationFailed: options.onAuthenticationFailed } : {}),
  });
  registerCleanup(() => provider.destroy());
  return provider;
}

export function newProviderV3(options: ProviderOptions): HocuspocusProviderV3 {
  const provider = new HocuspocusProviderV3({
    url: options.url,
    name: options.name,
    token: options.token ?? null,
    document: options.document ?? new Y.Doc(),
  });
  registerCleanup(() => provider.destroy());
  return provider;
}

export async function synced(provider: AnyProvider, ms = 5_000): Promise<void> {
  if (provider.isSynced) return;
  await nextEvent(provider as never, 'synced', () => true, ms);
}

/** Resolves when the server has acknowledged every local change (unsyncedChanges back to 0). */
export async function acknowledged(provider: AnyProvider, ms = 5_000): Promise<void> {
  await until(() => provider.unsyncedChanges === 0, provider as never, 'unsyncedChanges', ms, 'all changes acknowledged');
}

export async function authenticationFailed(provider: AnyProvider, ms = 5_000): Promise<string> {
  const [data] = await nextEvent<[{ reason: string }]>(provider as never, 'authenticationFailed', () => true, ms);
  return data.reason;
}

/** Waits until `doc` satisfies `condition`, re-checking on every update. */
export async function docMatches(doc: Y.Doc, condition: () => boolean, ms = 5_000): Promise<void> {
  await withTimeout(until(condition, doc, 'update', ms), ms, 'document content');
}
