/**
 * One joined session: the whiteboard (HocuspocusProvider + Yjs, exactly as an app would connect)
 * and the class panel (TutorChannelClient), laid out for a desktop or a phone.
 */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { TutorChannelClient } from 'tutorboard/client';
import * as Y from 'yjs';
import { Board } from './Board.ts';
import { BoardView } from './BoardView.ts';
import { ConnectionStatus } from './ConnectionStatus.ts';
import { Cursors } from './Cursors.ts';
import { h, icon, icons, userColor } from './dom.ts';
import { DrawingInput } from './DrawingInput.ts';
import { NetworkWatch } from './NetworkWatch.ts';
import { SnapshotsDrawer } from './SnapshotsDrawer.ts';
import type { TokenSource } from './tokens.ts';
import { Toolbar } from './Toolbar.ts';
import { TutorPanel } from './TutorPanel.ts';

export interface ClassroomOptions {
  tokens: TokenSource;
  onLeave: () => void;
}

export class Classroom {
  readonly element: HTMLElement;
  readonly doc = new Y.Doc();
  readonly provider: HocuspocusProvider;
  readonly channel: TutorChannelClient;
  readonly board: Board;
  readonly status: ConnectionStatus;
  private readonly socket: HocuspocusProviderWebsocket;
  private readonly network: NetworkWatch;
  private readonly view: BoardView;
  private readonly cursors: Cursors;
  private readonly input: DrawingInput;
  private readonly toolbar: Toolbar | undefined;
  private readonly panel: TutorPanel;
  private readonly drawer: SnapshotsDrawer | undefined;
  private readonly toastElement = h('div', { class: 'toast', role: 'status', hidden: true });
  private toastTimer = 0;
  private unread = 0;
  readonly sessionId: string;

  constructor(options: ClassroomOptions) {
    const { tokens } = options;
    const { sessionId, userId, role } = tokens.identity;
    const readOnly = role === 'observer';
    this.sessionId = sessionId;
    const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
    // A classroom wants a quick comeback after a blip: retry from 0.5 s, never wait more than 5 s.
    this.socket = new HocuspocusProviderWebsocket({ url: `${wsBase}/ws/v2/session/${encodeURIComponent(sessionId)}/whiteboard`, delay: 500, minDelay: 250, maxDelay: 5000 });
    this.provider = new HocuspocusProvider({ websocketProvider: this.socket, name: sessionId, document: this.doc, token: () => tokens.token() });
    this.provider.attach();
    this.channel = new TutorChannelClient({
      url: `${wsBase}/ws/v2/session/${encodeURIComponent(sessionId)}`,
      token: () => tokens.token(),
      reconnect: { initialDelayMs: 300, maxDelayMs: 5000 },
    });
    this.status = new ConnectionStatus(this.provider, { readOnly });
    this.network = new NetworkWatch(this.provider, () => this.status.state !== 'refused');

    this.board = new Board(this.doc, userId);
    this.view = new BoardView(this.board);
    this.cursors = new Cursors(this.provider.awareness!, this.view.overlay, { name: userId, color: userColor(userId), role });
    this.toolbar = readOnly ? undefined : new Toolbar(this.board);
    this.input = new DrawingInput(this.board, this.view, {
      tools: () => this.toolbar?.tools ?? { tool: 'pen', color: '#000000', width: 1 },
      readOnly,
      onCursor: (position) => this.cursors.move(position),
      onRefused: () => this.toast('Observers see everything live but cannot draw.'),
    });
    this.drawer = role === 'tutor' ? new SnapshotsDrawer(tokens) : undefined;
    this.panel = new TutorPanel({
      channel: this.channel,
      identity: tokens.identity,
      onRestored: (snapshotId, by) => {
        // Undoing across a restore would bring back what the restore removed: start afresh.
        this.board.undoManager.clear();
        this.drawer?.restored();
        this.toast(`${by} restored the board to version #${snapshotId}.`);
      },
      onActivity: () => this.noteActivity(),
    });

    const chatToggle = h('button', { type: 'button', class: 'secondary panel-toggle', 'data-action': 'toggle-panel', onclick: () => this.togglePanel() }, 'Class', h('span', { class: 'badge', hidden: true }));
    const stage = h(
      'section',
      { class: 'stage' },
      this.toolbar?.history ?? null,
      this.toolbar?.element ?? h('div', { class: 'observer-banner', role: 'note' }, icon(icons.eye, 16), 'Observing: you see the board and the class live, but cannot draw or write.'),
      h('div', { class: 'paper-frame' }, this.view.paper),
      this.toastElement,
    );
    this.element = h(
      'div',
      { class: 'app', 'data-role': role, 'data-panel': window.matchMedia('(max-width: 760px)').matches ? 'closed' : 'open' },
      h('header', { class: 'topbar' },
        h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'tutorboard'),
        h('span', { class: 'session-chip', title: 'session id' }, sessionId),
        this.status.element,
        h('div', { class: 'spacer' }),
        h('span', { class: 'me', title: `you are ${userId} (${role})` }, h('span', { class: 'role-dot' }), `${userId} · ${role}`),
        h('button', { type: 'button', class: 'secondary', 'data-action': 'invite', onclick: () => void this.invite() }, 'Invite'),
        this.drawer ? h('button', { type: 'button', class: 'secondary', 'data-action': 'versions', onclick: () => this.drawer!.toggle() }, 'Versions') : null,
        chatToggle,
        h('button', { type: 'button', class: 'ghost', 'data-action': 'leave', onclick: () => options.onLeave() }, 'Leave'),
      ),
      h('main', { class: 'workspace' }, stage, this.panel.element, this.drawer?.element ?? null),
    );
    this.element.style.setProperty('--me', userColor(userId));
  }

  destroy(): void {
    this.input.destroy();
    this.toolbar?.destroy();
    this.cursors.destroy();
    this.view.destroy();
    this.panel.destroy();
    this.status.destroy();
    this.network.destroy();
    this.channel.close();
    this.provider.destroy();
    this.socket.destroy();
    this.doc.destroy();
    clearTimeout(this.toastTimer);
  }

  private togglePanel(): void {
    const open = this.element.dataset.panel !== 'open';
    this.element.dataset.panel = open ? 'open' : 'closed';
    if (open) this.setUnread(0);
  }

  private noteActivity(): void {
    const hidden = this.element.dataset.panel !== 'open' || getComputedStyle(this.panel.element).display === 'none';
    if (hidden) this.setUnread(this.unread + 1);
  }

  private setUnread(count: number): void {
    this.unread = count;
    const badge = this.element.querySelector<HTMLElement>('.panel-toggle .badge');
    if (!badge) return;
    badge.hidden = count === 0;
    badge.textContent = String(count);
  }

  /** Copies a link that opens the join form for this session as a student. */
  private async invite(): Promise<void> {
    const link = `${location.origin}/?${new URLSearchParams({ session: this.sessionId, role: 'student' })}`;
    try {
      await navigator.clipboard.writeText(link);
      this.toast('Invite link copied: it opens the join form for this session.');
    } catch {
      this.toast(`Invite link: ${link}`, 8000);
    }
  }

  private toast(text: string, ms = 3000): void {
    this.toastElement.textContent = text;
    this.toastElement.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = window.setTimeout(() => (this.toastElement.hidden = true), ms);
  }
}
