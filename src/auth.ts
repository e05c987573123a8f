/**
 * JWT verification. The key is turned into a KeyObject once: jsonwebtoken re-parses a string
 * secret on every verify (~350 µs), a KeyObject costs a few µs.
 */
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm } from 'jsonwebtoken';
import { ForbiddenError, UnauthorizedError } from './errors.ts';
import { roles, type Role } from './roles.ts';

export { roles, type Role };

/** Who a verified token speaks for. */
export interface Principal {
  userId: string;
  /** The session id the token grants, or `*` for every session. */
  sessionScope: string;
  role: Role;
}

export interface AuthenticatorOptions {
  /** HS256 shared secret (at least 32 characters). */
  secret?: string;
  /** PEM public key; RS256 for RSA keys, ES256/384/512 for EC keys by curve. */
  publicKey?: string;
  issuer?: string;
  audience?: string;
  /**
   * Tokens must carry `exp` (JWT_REQUIRE_EXP): a token without one would be valid forever.
   * @default true
   */
  requireExp?: boolean;
  /**
   * How far in the future a token's `exp` may lie, in seconds (JWT_MAX_TTL), plus
   * `clockSkewSeconds`; 0 sets no limit. Tokens this authenticator mints are capped to it.
   * @default 86400
   */
  maxTtlSeconds?: number;
}

/** Slack for an issuer whose clock runs ahead of ours, in seconds, on top of `maxTtlSeconds`. */
export const clockSkewSeconds = 60;

/** JWT_MAX_TTL's default: a day, the longest session a token is typically minted for. */
export const defaultMaxTtlSeconds = 24 * 3600;

export class Authenticator {
  readonly algorithm: Algorithm;
  private readonly key: KeyObject;
  private readonly secret: KeyObject | undefined;
  private readonly issuer: string | undefined;
  private readonly audience: string | undefined;
  readonly requireExp: boolean;
  readonly maxTtlSeconds: number;

  constructor(options: AuthenticatorOptions) {
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.requireExp = options.requireExp ?? true;
    this.maxTtlSeconds = options.maxTtlSeconds ?? defaultMaxTtlSeconds;
    if (options.publicKey) {
      this.key = createPublicKey(options.publicKey);
      this.algorithm = algorithmFor(this.key);
    } else if (options.secret) {
      this.key = createSecretKey(Buffer.from(options.secret, 'utf8'));
      this.secret = this.key;
      this.algorithm = 'HS256';
    } else {
      throw new Error('Authenticator needs a secret or a public key');
    }
  }

  /** Checks signature, algorithm, exp (present, not past, not too far ahead), nbf, iss/aud and the claims we rely on. */
  verify(token: string): Principal {
    let claims: jwt.JwtPayload | string;
    try {
      claims = jwt.verify(token, this.key, {
        algorithms: [this.algorithm],
        issuer: this.issuer,
        audience: this.audience,
      });
    } catch (error) {
      throw new UnauthorizedError(error instanceof jwt.TokenExpiredError ? 'token expired' : 'invalid token');
    }
    if (typeof claims !== 'object' || claims === null) throw new UnauthorizedError('invalid token');
    this.checkLifetime(claims.exp);
    const { sub, sid, role = 'student' } = claims as Record<string, unknown>;
    if (typeof sub !== 'string' || sub === '') throw new UnauthorizedError('token has no sub claim');
    if (typeof sid !== 'string' || sid === '') throw new UnauthorizedError('token has no sid claim');
    if (typeof role !== 'string' || !(roles as readonly string[]).includes(role)) {
      throw new UnauthorizedError('token has an unknown role');
    }
    return { userId: sub, sessionScope: sid, role: role as Role };
  }

  /** Verifies and checks that the token grants `sessionId`. */
  authenticate(token: string, sessionId: string): Principal {
    const principal = this.verify(token);
    authorize(principal, sessionId);
    return principal;
  }

  /**
   * Mints a token valid for `expiresInSeconds`, at most `maxTtlSeconds`: every token it mints is
   * one it accepts. Only possible with a shared secret (a public key cannot sign).
   */
  sign(claims: { sub: string; sid: string; role?: Role }, expiresInSeconds: number): string {
    if (!this.secret) throw new Error('tokens can only be minted with JWT_SECRET (a public key cannot sign)');
    const ttl = this.maxTtlSeconds > 0 ? Math.min(expiresInSeconds, this.maxTtlSeconds) : expiresInSeconds;
    return jwt.sign({ sid: claims.sid, role: claims.role ?? 'student' }, this.secret, {
      algorithm: 'HS256',
      subject: claims.sub,
      expiresIn: ttl,
      ...(this.issuer ? { issuer: this.issuer } : {}),
      ...(this.audience ? { audience: this.audience } : {}),
    });
  }

  get canSign(): boolean {
    return this.secret !== undefined;
  }

  /** `exp` is required (unless turned off) and may not lie more than `maxTtlSeconds` ahead. */
  private checkLifetime(exp: unknown): void {
    if (exp === undefined) {
      if (this.requireExp) throw new UnauthorizedError('token has no exp claim: tokens must expire', 'token_no_expiry');
      return;
    }
    // jsonwebtoken has refused a non-numeric exp already.
    const aheadSeconds = (exp as number) - Date.now() / 1000;
    if (this.maxTtlSeconds > 0 && aheadSeconds > this.maxTtlSeconds + clockSkewSeconds) {
      throw new UnauthorizedError(
        `token expires too far in the future: in ${Math.round(aheadSeconds)} s, at most ${this.maxTtlSeconds} s allowed (JWT_MAX_TTL)`,
        'token_ttl_too_long',
      );
    }
  }
}

export function authorize(principal: Principal, sessionId: string): void {
  if (principal.sessionScope !== '*' && principal.sessionScope !== sessionId) {
    throw new ForbiddenError('token does not grant this session');
  }
}

export function requireAdmin(principal: Principal, sessionId?: string): void {
  if (principal.role !== 'admin') throw new ForbiddenError('admin role required');
  if (sessionId !== undefined) authorize(principal, sessionId);
}

/**
 * The token a request carries: `Authorization: Bearer …` first, then `?token=`.
 * Returns `undefined` when there is none; an Authorization header of another scheme is an error.
 */
export function tokenFromRequest(authorization: string | null | undefined, url: URL): string | undefined {
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new UnauthorizedError('Authorization header must be "Bearer <token>"');
    return match[1];
  }
  const query = url.searchParams.get('token');
  return query === null ? undefined : query;
}

function algorithmFor(key: KeyObject): Algorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
  }
  throw new Error(`unsupported public key type ${key.asymmetricKeyType ?? 'unknown'} (use RSA or EC P-256/P-384/P-521)`);
}
