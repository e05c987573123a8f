/**
 * Where the page's tokens come from: the development endpoint (`POST /dev/token`, asked again
 * shortly before a token expires) or a token the user pasted (production with DEMO=1). The page
 * never stores tokens: they live in memory for this tab only.
 */
export type JoinRole = 'tutor' | 'student' | 'observer';

export interface DemoConfig {
  devTokens: boolean;
  /** The server's DEV_TOKENS: `loopback` with devTokens false means "not for this device". */
  devTokenMode: string;
  version: string;
}

export interface Identity {
  sessionId: string;
  /** The token's `sub`; the demo uses the display name. */
  userId: string;
  role: JoinRole | 'admin';
}

export interface TokenSource {
  readonly identity: Identity;
  token(): Promise<string>;
  /** An admin token for this session (the snapshots drawer), when there is one. */
  adminToken(): Promise<string | undefined>;
  /** Lets a tutor paste an admin token later (production). */
  setAdminToken(token: string): void;
}

interface DevTokenAnswer {
  token: string;
  adminToken?: string;
  userId: string;
  role: JoinRole;
  sessionId: string;
}

/** A refusal with the server's own reason, for the join form. */
export class TokenError extends Error {}

export async function loadDemoConfig(): Promise<DemoConfig> {
  const response = await fetch('/demo/config.json', { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`the server answered ${response.status}`);
  const body = (await response.json()) as Partial<DemoConfig>;
  return { devTokens: body.devTokens === true, devTokenMode: String(body.devTokenMode ?? 'off'), version: String(body.version ?? '') };
}

/** The claims of a JWT, unverified (the server verifies; the page only reads who it says it is). */
export function readClaims(token: string): { sub?: unknown; sid?: unknown; role?: unknown; exp?: unknown } | undefined {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), '=')));
  } catch {
    return undefined;
  }
}

/** Seconds until a token expires, or Infinity when it says nothing. */
function secondsLeft(token: string): number {
  const exp = readClaims(token)?.exp;
  return typeof exp === 'number' ? exp - Date.now() / 1000 : Infinity;
}

async function fetchDevToken(sessionId: string, name: string, role: JoinRole): Promise<DevTokenAnswer> {
  let response: Response;
  try {
    response = await fetch('/dev/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ session: sessionId, name, role }),
    });
  } catch {
    throw new Error('the server cannot be reached');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new TokenError(body?.error?.message ?? `the server answered ${response.status}`);
  return body as DevTokenAnswer;
}

/** Tokens from `POST /dev/token`; the first one is fetched before the classroom starts, so a refusal shows on the form. */
export async function devTokenSource(sessionId: string, name: string, role: JoinRole): Promise<TokenSource> {
  let current = await fetchDevToken(sessionId, name, role);
  let refreshing: Promise<DevTokenAnswer> | undefined;
  const fresh = async () => {
    if (secondsLeft(current.token) > 60) return current;
    refreshing ??= fetchDevToken(sessionId, name, role).finally(() => (refreshing = undefined));
    try {
      current = await refreshing;
    } catch (error) {
      // The server may be restarting: a token that has not expired yet is still worth a try.
      if (secondsLeft(current.token) > 0) return current;
      throw error;
    }
    return current;
  };
  return {
    identity: { sessionId, userId: current.userId, role: current.role },
    token: async () => (await fresh()).token,
    adminToken: async () => (await fresh()).adminToken,
    setAdminToken: () => {},
  };
}

/** A pasted token: who it is for comes from its claims; the session from the form when it grants `*`. */
export function pastedTokenSource(token: string, sessionId: string, adminToken?: string): TokenSource {
  const claims = readClaims(token.trim());
  if (!claims || typeof claims.sub !== 'string') throw new TokenError('that does not look like a tutorboard token (a JWT with a sub claim)');
  const sid = typeof claims.sid === 'string' ? claims.sid : '';
  if (sid !== '*' && sid !== sessionId && sid !== '') sessionId = sid;
  const role = ['tutor', 'student', 'observer', 'admin'].includes(String(claims.role)) ? (claims.role as Identity['role']) : 'student';
  let admin = adminToken?.trim() || undefined;
  return {
    identity: { sessionId, userId: claims.sub, role },
    token: async () => token.trim(),
    adminToken: async () => admin,
    setAdminToken: (value) => (admin = value.trim() || undefined),
  };
}
