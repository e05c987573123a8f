/**
 * The demo page's entry: the join form, or straight into a session when the address says which
 * (`/?session=…&name=…&role=…` with development tokens, or a token in the fragment `#token=…`).
 */
import { Classroom } from './Classroom.ts';
import { joinForm, randomSessionId, type JoinRequest } from './JoinForm.ts';
import { devTokenSource, loadDemoConfig, pastedTokenSource, type DemoConfig, type JoinRole, type TokenSource } from './tokens.ts';
import './styles.css';

declare global {
  interface Window {
    /** The current classroom, for the console (and the browser tests): board, provider, channel, status. */
    tutorboard?: Classroom;
  }
}

const root = document.getElementById('app')!;
const sessionPattern = /^[A-Za-z0-9_-]{1,128}$/;
let config: DemoConfig = { devTokens: false, devTokenMode: 'off', version: '' };
let classroom: Classroom | undefined;

function parseRole(value: string | null): JoinRole | undefined {
  return value === 'tutor' || value === 'student' || value === 'observer' ? value : undefined;
}

function showForm(initial: Partial<JoinRequest>, error?: string): void {
  document.title = 'tutorboard';
  root.replaceChildren(joinForm({ devTokens: config.devTokens, otherDevice: config.devTokenMode === 'loopback', initial, error, version: config.version, onJoin: (request) => void join(request) }));
  root.querySelector<HTMLInputElement>(initial.sessionId ? 'input[name=name]' : 'input[name=session]')?.focus();
}

async function join(request: JoinRequest, adminToken?: string): Promise<void> {
  if (!sessionPattern.test(request.sessionId) && !request.token) {
    showForm(request, 'A session id is 1 to 128 letters, digits, "-" or "_".');
    return;
  }
  let tokens: TokenSource;
  try {
    if (request.token) {
      tokens = pastedTokenSource(request.token, request.sessionId, adminToken);
      if (!sessionPattern.test(tokens.identity.sessionId)) throw new Error('the token grants every session ("*"): say which one');
    }
    else if (config.devTokens) tokens = await devTokenSource(request.sessionId, request.name, request.role);
    else throw new Error('paste a token to join');
  } catch (error) {
    showForm(request, `Could not join: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  enter(tokens, !request.token);
}

function enter(tokens: TokenSource, shareable: boolean): void {
  const { sessionId, userId, role } = tokens.identity;
  // The address becomes the share link; a pasted token never goes into it.
  const query: Record<string, string> = shareable ? { session: sessionId, name: userId, role } : { session: sessionId };
  history.replaceState(null, '', `/?${new URLSearchParams(query)}`);
  document.title = `${sessionId} · tutorboard`;
  classroom = new Classroom({ tokens, onLeave: leave });
  root.replaceChildren(classroom.element);
  window.tutorboard = classroom;
}

function leave(): void {
  const sessionId = classroom?.sessionId;
  classroom?.destroy();
  classroom = undefined;
  delete window.tutorboard;
  history.replaceState(null, '', sessionId ? `/?${new URLSearchParams({ session: sessionId })}` : '/');
  showForm({ sessionId });
}

async function start(): Promise<void> {
  let problem: string | undefined;
  try {
    config = await loadDemoConfig();
  } catch (error) {
    problem = `The server did not answer (${error instanceof Error ? error.message : String(error)}). Reload to try again.`;
  }
  const params = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token') ?? undefined;
  const adminToken = fragment.get('admin') ?? undefined;
  // Tokens in the fragment never reach the server or its logs; take them out of the address bar too.
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  const initial: Partial<JoinRequest> = {
    sessionId: params.get('session') ?? undefined,
    name: params.get('name') ?? undefined,
    role: parseRole(params.get('role')),
  };
  if (problem) return showForm(initial, problem);
  if (token) return join({ sessionId: initial.sessionId ?? '', name: '', role: 'student', token }, adminToken);
  if (config.devTokens && initial.sessionId && initial.name && initial.role) {
    return join({ sessionId: initial.sessionId, name: initial.name, role: initial.role });
  }
  showForm({ ...initial, sessionId: initial.sessionId ?? randomSessionId() });
}

void start();
