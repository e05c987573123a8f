/**
 * The join form: session id, display name, role; and, when this server does not hand out
 * development tokens (production with DEMO=1, or another device with DEV_TOKENS=loopback), a
 * pasted token instead.
 */
import { h } from './dom.ts';
import type { JoinRole } from './tokens.ts';

export interface JoinRequest {
  sessionId: string;
  name: string;
  role: JoinRole;
  /** A pasted token (when the server hands out none). */
  token?: string;
}

export interface JoinFormOptions {
  devTokens: boolean;
  /** The server mints demo tokens, but only for the machine it runs on. */
  otherDevice: boolean;
  initial: Partial<JoinRequest>;
  error?: string;
  version: string;
  onJoin: (request: JoinRequest) => void;
}

const roles: Array<{ role: JoinRole; label: string; hint: string }> = [
  { role: 'tutor', label: 'Tutor', hint: 'draws, chats, sends hints, restores versions' },
  { role: 'student', label: 'Student', hint: 'draws, chats, raises a hand' },
  { role: 'observer', label: 'Observer', hint: 'watches everything, cannot draw or write' },
];

export function randomSessionId(): string {
  return `lesson-${Math.random().toString(36).slice(2, 6)}`;
}

export function joinForm(options: JoinFormOptions): HTMLElement {
  const { initial } = options;
  const session = h('input', { name: 'session', required: true, pattern: '[A-Za-z0-9_\\-]{1,128}', value: initial.sessionId ?? randomSessionId(), autocomplete: 'off', spellcheck: 'false' });
  const name = h('input', { name: 'name', required: !!options.devTokens, maxlength: 40, value: initial.name ?? localStorage.getItem('tutorboard.name') ?? '', placeholder: 'Ada', autocomplete: 'nickname' });
  const chosen = initial.role ?? 'tutor';
  const roleInputs = roles.map(({ role, label, hint }) =>
    h('label', { class: 'role-option', title: hint }, h('input', { type: 'radio', name: 'role', value: role, checked: role === chosen }), h('span', {}, label)),
  );
  const token = options.devTokens
    ? undefined
    : h('textarea', { name: 'token', rows: 3, required: true, placeholder: 'eyJhbGciOi…', spellcheck: 'false', autocomplete: 'off' });
  if (token && initial.token) token.value = initial.token;
  const error = h('p', { class: 'form-error', role: 'alert' }, options.error ?? '');
  const submit = h('button', { type: 'submit', class: 'primary big' }, 'Join');
  const form = h(
    'form',
    {
      class: 'join-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const role = (form.querySelector<HTMLInputElement>('input[name=role]:checked')?.value ?? 'student') as JoinRole;
        const displayName = name.value.trim();
        if (displayName) localStorage.setItem('tutorboard.name', displayName);
        submit.disabled = true;
        submit.textContent = 'Joining…';
        options.onJoin({ sessionId: session.value.trim(), name: displayName, role, token: token?.value.trim() || undefined });
      },
    },
    h('label', { class: 'field' }, h('span', {}, 'Session'), session),
    h('label', { class: 'field' }, h('span', {}, 'Your name'), name),
    h('fieldset', { class: 'roles' }, h('legend', {}, 'Role'), ...roleInputs),
    token
      ? h('label', { class: 'field' },
          h('span', {}, 'Token'),
          token,
          options.otherDevice
            ? h('small', {}, 'Demo tokens are handed out only on the machine running the server. Start it with ', h('code', {}, 'DEV_TOKENS=any'), ' to let this device join, or paste a token.')
            : h('small', {}, 'This server hands out no demo tokens. Mint one: ', h('code', {}, 'npx tutorboard token --sub ada --session SESSION --role tutor'), '. Name and role come from the token.'),
        )
      : null,
    error,
    submit,
  );
  return h(
    'div',
    { class: 'join' },
    h('div', { class: 'join-card' },
      h('h1', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'tutorboard'),
      h('p', { class: 'lead' }, 'A shared whiteboard and a live class channel. Join, then open this page in a second window and draw.'),
      form,
      h('p', { class: 'foot' }, 'The address after joining (', h('code', {}, '/?session=…&name=…&role=…'), ') joins directly: share it. ', options.version ? `v${options.version}` : ''),
    ),
  );
}
