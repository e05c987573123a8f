/**
 * Token verification cost: jsonwebtoken with a string secret (re-imported on every call)
 * against the KeyObject that src/auth.ts builds once.
 *
 *   node bench/auth.ts [--iterations 20000]
 */
import { createSecretKey } from 'node:crypto';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { Authenticator } from '../src/auth.ts';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '20000' } } });
const iterations = Number(values.iterations);
const secret = 'bench-secret-that-is-long-enough-for-hs256';
const authenticator = new Authenticator({ secret });
const token = authenticator.sign({ sub: 'u', sid: 's', role: 'tutor' }, 3600);

function time(name: string, fn: () => unknown): void {
  for (let i = 0; i < 500; i += 1) fn();
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) fn();
  const us = ((performance.now() - started) * 1000) / iterations;
  console.log(`${name.padEnd(44)} ${us.toFixed(1).padStart(8)} µs/verify ${(1e6 / us).toFixed(0).padStart(10)} verifies/s`);
}

console.log(`HS256 verify, ${iterations} iterations (node ${process.version})`);
time('jsonwebtoken, string secret', () => jwt.verify(token, secret, { algorithms: ['HS256'] }));
const key = createSecretKey(Buffer.from(secret));
time('jsonwebtoken, KeyObject built once', () => jwt.verify(token, key, { algorithms: ['HS256'] }));
time('Authenticator.verify (KeyObject + claim checks)', () => authenticator.verify(token));
