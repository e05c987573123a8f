/**
 * Development convenience: with no key configured outside production, a random secret is
 * generated once and kept next to the database, so tokens minted today still work tomorrow.
 * Only `serve` creates it: a CLI command run from another folder (a relative DATABASE_PATH
 * then points elsewhere) must say so, not mint tokens with a fresh secret the server never saw.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from './config.ts';

export interface SigningKey {
  secret?: string;
  publicKey?: string;
  /** Where the development secret lives, when one is in use. */
  devSecretPath?: string;
  /** True when this call created the development secret. */
  created: boolean;
}

export function devSecretPath(config: Pick<Config, 'databasePath'>): string {
  return join(resolve(dirname(config.databasePath)), 'dev-jwt-secret');
}

/** No development secret where the configuration points; the message says where it looked. */
export class DevSecretNotFoundError extends Error {
  constructor(path: string, databasePath: string) {
    super(
      `no development secret at ${path} (it is kept next to DATABASE_PATH=${databasePath}, here ${resolve(databasePath)}); ` +
        'run this where `tutorboard serve` runs, set DATABASE_PATH to the server\'s database, or set JWT_SECRET',
    );
    this.name = 'DevSecretNotFoundError';
  }
}

/**
 * The configured key, or the development secret. `create` (serve only) makes one when missing;
 * without it a missing secret is a DevSecretNotFoundError.
 */
export function resolveSigningKey(config: Readonly<Config>, { create = false }: { create?: boolean } = {}): SigningKey {
  if (config.jwt.secret || config.jwt.publicKey) {
    return { secret: config.jwt.secret, publicKey: config.jwt.publicKey, created: false };
  }
  if (config.production) throw new Error('JWT_SECRET or JWT_PUBLIC_KEY is required with NODE_ENV=production');
  const path = devSecretPath(config);
  if (existsSync(path)) {
    const secret = readFileSync(path, 'utf8').trim();
    if (secret.length >= 32) return { secret, devSecretPath: path, created: false };
  }
  if (!create) throw new DevSecretNotFoundError(path, config.databasePath);
  mkdirSync(dirname(path), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return { secret, devSecretPath: path, created: true };
}
