import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config.ts';
import { configVariables } from '../../src/configVariables.ts';
import { ConfigError } from '../../src/errors.ts';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('has documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 1234,
      host: '0.0.0.0',
      databasePath: './data/tutorboard.db',
      logLevel: 'info',
      maxBoardBytes: 16 * 1024 * 1024,
      maxMessageBytes: 17 * 1024 * 1024,
      storageMinFreeBytes: 16 * 1024 * 1024,
      admission: { maxConnectionsPerSession: 100, maxConnectionsPerUser: 20 },
      socketLimits: { maxUnauthenticatedBytes: 256 * 1024, authTimeoutMs: 10_000, maxDocumentsPerSocket: 4, maxAwarenessBytes: 65536, maxAwarenessClients: 4 },
      shutdownTimeoutMs: 10_000,
      tutor: { maxMessageBytes: 65536, heartbeatIntervalMs: 30_000, staleTimeoutMs: 60_000, replayMessages: 200, replayMs: 120_000 },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the variable and the problem for invalid values', () => {
    expect(errorOf({ PORT: 'eighty' })).toMatchObject({ variable: 'PORT', message: expect.stringMatching(/whole number/) });
    expect(errorOf({ PORT: '70000' }).variable).toBe('PORT');
    expect(errorOf({ JWT_SECRET: 'short' })).toMatchObject({ variable: 'JWT_SECRET', message: expect.stringMatching(/at least 32/) });
    expect(errorOf({ LOG_LEVEL: 'loud' }).variable).toBe('LOG_LEVEL');
    expect(errorOf({ MAX_MESSAGE_BYTES: '-1' }).variable).toBe('MAX_MESSAGE_BYTES');
    // A provider sends its offline work in one frame: a frame limit below the board cap would loop on 1009.
    expect(errorOf({ MAX_BOARD_BYTES: '4194304', MAX_MESSAGE_BYTES: '2097152' })).toMatchObject({
      variable: 'MAX_MESSAGE_BYTES',
      message: expect.stringMatching(/MAX_BOARD_BYTES/),
    });
    expect(errorOf({ JWT_PUBLIC_KEY: '/no/such/key.pem' }).variable).toBe('JWT_PUBLIC_KEY');
    expect(errorOf({ HEARTBEAT_INTERVAL_MS: '5000', STALE_TIMEOUT_MS: '1000' }).variable).toBe('STALE_TIMEOUT_MS');
  });

  it('requires a key in production', () => {
    expect(errorOf({ NODE_ENV: 'production' })).toMatchObject({ variable: 'JWT_SECRET', message: expect.stringMatching(/required/) });
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).production).toBe(true);
  });

  it('refuses an unknown NODE_ENV (a typo must not fall back to development) and names the mode', () => {
    for (const typo of ['prod', 'Production', 'staging', 'dev']) {
      expect(errorOf({ NODE_ENV: typo, JWT_SECRET: 'x'.repeat(32) })).toMatchObject({
        variable: 'NODE_ENV',
        message: `NODE_ENV: must be development, production, test or unset, got "${typo}"`,
      });
    }
    expect(loadConfig({}).mode).toBe('development');
    expect(loadConfig({ NODE_ENV: '' }).mode).toBe('development');
    expect(loadConfig({ NODE_ENV: 'test' })).toMatchObject({ mode: 'test', production: false });
    expect(loadConfig({ NODE_ENV: 'development' }).mode).toBe('development');
  });

  it('lists every variable it reads in serve --help (src/configVariables.ts) and in the README tables', () => {
    const read = new Set<string>();
    for (const file of ['src/config.ts', 'src/serve.ts']) {
      const source = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
      for (const match of source.matchAll(/\b(?:env|process\.env)(?:\.([A-Z][A-Z0-9_]+)|, '([A-Z][A-Z0-9_]+)')/g)) read.add(match[1] ?? match[2]);
    }
    const listed = configVariables.map((v) => v.name);
    expect([...read].filter((name) => !listed.includes(name)), 'read but missing from src/configVariables.ts').toEqual([]);
    expect(listed.filter((name) => !read.has(name)), 'listed but never read').toEqual([]);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = readme.split('\n').filter((line) => line.startsWith('|'));
    expect(listed.filter((name) => !rows.some((row) => row.split('|')[1]?.includes(`\`${name}\``))), 'missing from the README tables').toEqual([]);
  });

  it('reads token lifetime, replay memory and log buffer limits', () => {
    expect(loadConfig({})).toMatchObject({
      jwt: { requireExp: true, maxTtlSeconds: 86_400 },
      logBufferBytes: 8 * 1024 * 1024,
      tutor: { replayBytes: 1024 * 1024, replayTotalBytes: 64 * 1024 * 1024, emptyRoomGraceMs: 15_000 },
    });
    const ttl = (JWT_MAX_TTL: string) => loadConfig({ JWT_MAX_TTL }).jwt.maxTtlSeconds;
    expect([ttl('3600'), ttl('90s'), ttl('15m'), ttl('24h'), ttl('7d'), ttl('0')]).toEqual([3600, 90, 900, 86_400, 604_800, 0]);
    expect(errorOf({ JWT_MAX_TTL: 'a week' })).toMatchObject({ variable: 'JWT_MAX_TTL', message: expect.stringMatching(/15m, 24h or 7d/) });
    expect(errorOf({ JWT_MAX_TTL: '-5m' }).variable).toBe('JWT_MAX_TTL');
    expect(loadConfig({ JWT_REQUIRE_EXP: '0' }).jwt.requireExp).toBe(false);
    expect(loadConfig({ JWT_REQUIRE_EXP: 'true' }).jwt.requireExp).toBe(true);
    expect(errorOf({ JWT_REQUIRE_EXP: 'maybe' }).variable).toBe('JWT_REQUIRE_EXP');
    expect(errorOf({ TUTOR_REPLAY_BYTES: '1MB' }).variable).toBe('TUTOR_REPLAY_BYTES');
    expect(errorOf({ TUTOR_REPLAY_TOTAL_BYTES: '-1' }).variable).toBe('TUTOR_REPLAY_TOTAL_BYTES');
    expect(errorOf({ TUTOR_EMPTY_ROOM_GRACE_MS: 'soon' }).variable).toBe('TUTOR_EMPTY_ROOM_GRACE_MS');
    expect(errorOf({ LOG_BUFFER_BYTES: '1000' })).toMatchObject({ variable: 'LOG_BUFFER_BYTES', message: expect.stringMatching(/between 65536/) });
  });
});
