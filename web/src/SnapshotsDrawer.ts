/**
 * The tutor's versions drawer over the snapshot admin API: list (time, reason, label), save a
 * version, restore one (every window's board changes and the class hears about it), and undo the
 * last restore (the server takes a pre-restore snapshot first, so undo is one more restore).
 * The API needs an admin token for this session: the development endpoint hands tutors one; in
 * production the tutor pastes one.
 */
import { clock, h } from './dom.ts';
import type { TokenSource } from './tokens.ts';

interface SnapshotJson {
  id: number;
  createdAt: string;
  reason: 'auto' | 'manual' | 'session-end' | 'pre-restore';
  createdBy: string;
  byteSize: number;
  label: string | null;
}

const reasonText: Record<SnapshotJson['reason'], string> = {
  auto: 'auto',
  manual: 'saved',
  'session-end': 'session end',
  'pre-restore': 'before restore',
};

export class SnapshotsDrawer {
  readonly element: HTMLElement;
  private readonly tokens: TokenSource;
  private readonly list: HTMLUListElement;
  private readonly notice: HTMLElement;
  private readonly label: HTMLInputElement;
  private readonly tokenForm: HTMLElement;
  private lastRestore: { from: number; undoWith: number } | undefined;
  private busy = false;

  constructor(tokens: TokenSource) {
    this.tokens = tokens;
    this.list = h('ul', { class: 'versions', 'aria-label': 'versions' });
    this.notice = h('div', { class: 'drawer-notice', role: 'status' });
    this.label = h('input', { type: 'text', class: 'version-label', placeholder: 'Label (optional)', maxlength: 200, 'aria-label': 'version label' });
    const tokenInput = h('input', { type: 'password', placeholder: 'admin token for this session', 'aria-label': 'admin token' });
    this.tokenForm = h(
      'form',
      { class: 'admin-token', hidden: true, onsubmit: (e: Event) => (e.preventDefault(), tokens.setAdminToken(tokenInput.value), void this.refresh()) },
      h('p', {}, 'Versions use the admin API. Paste an admin token for this session (', h('code', {}, `npx tutorboard token --sub you --session ${tokens.identity.sessionId} --role admin`), ').'),
      tokenInput,
      h('button', { type: 'submit', class: 'primary' }, 'Use token'),
    );
    this.element = h(
      'div',
      { class: 'drawer', hidden: true, role: 'dialog', 'aria-label': 'versions' },
      h('header', { class: 'drawer-header' },
        h('h2', {}, 'Versions'),
        h('button', { type: 'button', class: 'icon-button', 'aria-label': 'close versions', onclick: () => this.toggle(false) }, '✕'),
      ),
      h('form', { class: 'save-version', onsubmit: (e: Event) => (e.preventDefault(), void this.save()) },
        this.label,
        h('button', { type: 'submit', class: 'primary', 'data-action': 'save-version' }, 'Save version'),
      ),
      this.notice,
      this.tokenForm,
      this.list,
    );
    this.element.addEventListener('keydown', (event) => event.key === 'Escape' && this.toggle(false));
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  toggle(open = !this.open): void {
    this.element.hidden = !open;
    if (open) void this.refresh();
  }

  /** Someone restored the board: the list has new rows. */
  restored(): void {
    if (this.open) void this.refresh();
  }

  async refresh(): Promise<void> {
    const answer = await this.call<SnapshotJson[]>('GET', '');
    if (answer === undefined) return;
    this.list.replaceChildren(...answer.map((s) => this.row(s)));
    if (answer.length === 0) this.list.append(h('li', { class: 'empty' }, 'No versions yet. Draw something and save one.'));
  }

  private row(snapshot: SnapshotJson): HTMLElement {
    return h(
      'li',
      { 'data-snapshot': snapshot.id, 'data-reason': snapshot.reason },
      h('div', { class: 'version-main' },
        h('strong', {}, `#${snapshot.id}`),
        h('span', { class: `reason reason-${snapshot.reason}` }, reasonText[snapshot.reason] ?? snapshot.reason),
        snapshot.label ? h('span', { class: 'version-title' }, snapshot.label) : null,
      ),
      h('div', { class: 'version-meta' }, `${clock(Date.parse(snapshot.createdAt))} · ${snapshot.createdBy} · ${formatBytes(snapshot.byteSize)}`),
      h('button', { type: 'button', class: 'secondary', 'data-action': 'restore', onclick: () => void this.restore(snapshot.id) }, 'Restore'),
    );
  }

  private async save(): Promise<void> {
    const saved = await this.call<SnapshotJson>('POST', '', { label: this.label.value.trim() || undefined });
    if (!saved) return;
    this.label.value = '';
    this.say(`Saved version #${saved.id}.`);
    await this.refresh();
  }

  private async restore(id: number, undoing = false): Promise<void> {
    const answer = await this.call<{ restoredFrom: number; preRestoreSnapshotId: number }>('POST', `/${id}/restore`);
    if (!answer) return;
    this.lastRestore = { from: answer.restoredFrom, undoWith: answer.preRestoreSnapshotId };
    const undo = h('button', { type: 'button', class: 'link', 'data-action': 'undo-restore', onclick: () => void this.undoRestore() }, 'Undo restore');
    this.say(undoing ? `Went back to the board before the restore (#${id}). ` : `Restored version #${id}. `, undoing ? null : undo);
    await this.refresh();
  }

  private async undoRestore(): Promise<void> {
    if (!this.lastRestore) return;
    const { undoWith } = this.lastRestore;
    this.lastRestore = undefined;
    await this.restore(undoWith, true);
  }

  private say(text: string, action: Node | null = null, tone: 'info' | 'error' = 'info'): void {
    this.notice.dataset.tone = tone;
    this.notice.replaceChildren(text, ...(action ? [action] : []));
  }

  /** One admin API call; errors are shown in the drawer and give undefined. */
  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T | undefined> {
    if (this.busy && method === 'POST') return undefined;
    const token = await this.tokens.adminToken().catch(() => undefined);
    this.tokenForm.hidden = token !== undefined;
    if (token === undefined) {
      this.say('An admin token is needed for versions.', null, 'error');
      return undefined;
    }
    this.busy = method === 'POST';
    try {
      const response = await fetch(`/api/sessions/${encodeURIComponent(this.tokens.identity.sessionId)}/snapshots${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const answer = await response.json().catch(() => ({}));
      if (response.status === 404 && answer?.error?.code === 'session_not_found') return [] as T;
      if (!response.ok) {
        if (response.status === 401 || response.status === 403) this.tokenForm.hidden = false;
        this.say(answer?.error?.message ?? `The server answered ${response.status}.`, null, 'error');
        return undefined;
      }
      return answer as T;
    } catch {
      this.say('The server cannot be reached.', null, 'error');
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}
