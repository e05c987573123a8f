/**
 * The class panel over `TutorChannelClient`: people, chat, hints from the tutor (styled apart),
 * raised hands, restore announcements, and the channel's own state. The client resumes with
 * `?since=` after a drop, so messages sent while this window was briefly away still arrive.
 */
import type { TutorChannelClient } from 'tutorboard/client';
import type { RoomMessage } from './channelTypes.ts';
import { clock, h, icon, icons, userColor } from './dom.ts';
import { PresenceList } from './PresenceList.ts';
import { maxTextLength, readDemoMessage } from './roomMessages.ts';
import type { Identity } from './tokens.ts';

export type ChannelState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface TutorPanelOptions {
  channel: TutorChannelClient;
  identity: Identity;
  /** A `whiteboard.restored` announcement arrived (from the server, so it can be trusted). */
  onRestored: (snapshotId: number, by: string) => void;
  /** Something new was added to the log (for the unread badge on small screens). */
  onActivity: () => void;
}

export class TutorPanel {
  readonly element: HTMLElement;
  readonly presence: PresenceList;
  private readonly options: TutorPanelOptions;
  private readonly log: HTMLOListElement;
  private readonly state: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly hintToggle: HTMLInputElement | undefined;
  private readonly hintTarget: HTMLSelectElement | undefined;
  private readonly handButton: HTMLButtonElement | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private welcomed = false;

  constructor(options: TutorPanelOptions) {
    this.options = options;
    const { channel, identity } = options;
    const tutor = identity.role === 'tutor';
    const student = identity.role === 'student';
    const canWrite = identity.role !== 'observer';
    this.presence = new PresenceList({ onLowerHand: tutor ? (userId) => this.sendHand(false, userId) : undefined });
    this.state = h('span', { class: 'channel-state', 'data-state': 'connecting' }, 'connecting…');
    this.log = h('ol', { class: 'log', 'aria-live': 'polite', 'aria-label': 'messages' });
    this.input = h('textarea', {
      class: 'composer-input',
      rows: 1,
      maxlength: maxTextLength,
      placeholder: canWrite ? 'Message the class… (Enter to send)' : 'Observers can read but not write',
      disabled: !canWrite,
      'aria-label': 'message',
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        this.submit();
      }
    });
    if (tutor) {
      this.hintToggle = h('input', { type: 'checkbox', class: 'hint-toggle', 'aria-label': 'send as a hint' });
      this.hintTarget = h('select', { class: 'hint-target', 'aria-label': 'hint for' }, h('option', { value: '' }, 'everyone'));
    }
    if (student) {
      this.handButton = h('button', { type: 'button', class: 'hand-button', 'data-action': 'raise-hand', 'aria-pressed': 'false', onclick: () => this.sendHand(!this.presence.handRaised(identity.userId)) }, icon(icons.hand, 16), h('span', {}, 'Raise hand'));
    }
    const composer = h(
      'form',
      { class: 'composer', onsubmit: (e: Event) => (e.preventDefault(), this.submit()) },
      this.input,
      h('div', { class: 'composer-actions' },
        this.hintToggle ? h('label', { class: 'hint-label', title: 'send as a hint: shown apart from the chat' }, this.hintToggle, icon(icons.hint, 16), 'hint for', this.hintTarget!) : null,
        this.handButton ?? null,
        h('button', { type: 'submit', class: 'primary', disabled: !canWrite }, 'Send'),
      ),
    );
    this.element = h(
      'aside',
      { class: 'panel', 'aria-label': 'class' },
      h('header', { class: 'panel-header' }, h('h2', {}, 'Class'), this.state),
      this.presence.element,
      h('section', { class: 'messages' }, this.log),
      composer,
    );
    this.unsubscribe.push(
      channel.on('welcome', () => {
        this.setState('live', 'live');
        if (this.welcomed) this.system('Reconnected.');
        this.welcomed = true;
        this.refreshPresence();
        // Someone joining later learns about a raised hand from the hand's owner.
        if (this.presence.handRaised(identity.userId)) this.options.channel.send({ type: 'hand', raised: true });
      }),
      channel.on('presence', (p) => {
        const known = this.presence.has(p.userId);
        this.refreshPresence();
        if (p.event === 'join' && !known) this.system(`${p.userId} joined as ${p.role}.`);
        if (p.event === 'leave' && !this.presence.has(p.userId)) this.system(`${p.userId} left.`);
        if (p.event === 'join' && this.presence.handRaised(identity.userId)) channel.send({ type: 'hand', raised: true, to: p.userId });
      }),
      channel.on('message', (m) => this.receive(m)),
      channel.on('error', (e) => {
        if (e.code === 'replay_gap') this.system('Some messages from while you were away are no longer available.');
        else if (e.code === 'rate_limited') this.system('Slow down: that message was dropped.');
        else this.system(`The server said: ${e.message}`);
      }),
      channel.on('close', (c) => {
        if (c.reconnecting) this.setState('reconnecting', navigator.onLine ? 'reconnecting…' : 'offline');
        else if (c.code !== 1000) this.setState('closed', `closed: ${c.reason || c.code}`);
      }),
      // The server said why connects fail: for good (bad token) or for now (session full, restarting).
      channel.on('refused', (r) => {
        if (r.final) this.system(`The class channel was refused: ${r.message}`);
        else this.setState('reconnecting', `waiting: ${r.message}`);
      }),
    );
    this.refreshPresence();
  }

  destroy(): void {
    for (const off of this.unsubscribe) off();
  }

  private setState(state: ChannelState, text: string): void {
    this.state.dataset.state = state;
    this.state.textContent = text;
  }

  private refreshPresence(): void {
    const { identity, channel } = this.options;
    this.presence.update({ userId: identity.userId, role: identity.role }, channel.peers);
    if (this.hintTarget) {
      const chosen = this.hintTarget.value;
      this.hintTarget.replaceChildren(h('option', { value: '' }, 'everyone'), ...this.presence.students.map((s) => h('option', { value: s }, s)));
      this.hintTarget.value = this.presence.students.includes(chosen) ? chosen : '';
    }
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text) return;
    const hint = this.hintToggle?.checked ?? false;
    const to = hint && this.hintTarget?.value ? this.hintTarget.value : undefined;
    const sent = this.options.channel.send(hint ? { type: 'hint', text, ...(to ? { to } : {}) } : { type: 'chat', text });
    if (!sent) {
      this.system('Not sent: the class channel is not connected. Your text is still in the box.');
      return;
    }
    this.input.value = '';
    this.entry(hint ? 'hint' : 'chat', this.options.identity.userId, Date.now(), text, { self: true, to });
  }

  private sendHand(raised: boolean, userId?: string): void {
    const sent = this.options.channel.send({ type: 'hand', raised, ...(userId ? { userId } : {}) });
    if (!sent) {
      this.system('Not sent: the class channel is not connected.');
      return;
    }
    const who = userId ?? this.options.identity.userId;
    this.applyHand(who, raised);
    if (!userId) this.system(raised ? 'You raised your hand.' : 'You lowered your hand.');
  }

  private applyHand(userId: string, raised: boolean): void {
    this.presence.setHand(userId, raised);
    if (userId === this.options.identity.userId && this.handButton) {
      this.handButton.lastElementChild!.textContent = raised ? 'Lower hand' : 'Raise hand';
      this.handButton.setAttribute('aria-pressed', String(raised));
    }
  }

  private receive(message: RoomMessage): void {
    const demo = readDemoMessage(message);
    if (!demo) return;
    const from = message.from.userId;
    switch (demo.kind) {
      case 'chat':
        this.entry('chat', from, message.ts, demo.text, { role: message.from.role });
        break;
      case 'hint':
        this.entry('hint', from, message.ts, demo.text, { role: message.from.role, to: demo.to });
        break;
      case 'hand':
        if (this.presence.handRaised(demo.userId) === demo.raised) break;
        this.applyHand(demo.userId, demo.raised);
        if (demo.userId === from) this.system(`${from} ${demo.raised ? 'raised' : 'lowered'} a hand.`, demo.raised ? 'hand' : undefined);
        else this.system(`${from} lowered ${demo.userId === this.options.identity.userId ? 'your' : `${demo.userId}'s`} hand.`);
        break;
      case 'restored':
        this.system(`${demo.by} restored the board to version #${demo.snapshotId}.`, 'restored');
        this.options.onRestored(demo.snapshotId, demo.by);
        break;
    }
  }

  private entry(kind: 'chat' | 'hint', from: string, ts: number, text: string, extra: { self?: boolean; role?: string; to?: string }): void {
    const name = h('span', { class: 'from' }, from);
    name.style.color = userColor(from);
    const meta = h('div', { class: 'meta' }, kind === 'hint' ? icon(icons.hint, 14) : null, kind === 'hint' ? 'Hint from ' : null, name, extra.to ? ` to ${extra.to}` : null, h('time', {}, clock(ts)));
    this.append(h('li', { class: `entry ${kind}${extra.self ? ' self' : ''}`, 'data-kind': kind }, meta, h('p', { class: 'text' }, text)));
  }

  private system(text: string, tone?: string): void {
    this.append(h('li', { class: `entry system${tone ? ` ${tone}` : ''}`, 'data-kind': tone ?? 'system' }, text));
  }

  private append(item: HTMLElement): void {
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    this.log.append(item);
    // Keep the log bounded; the channel itself only replays a short window anyway.
    while (this.log.children.length > 300) this.log.firstElementChild!.remove();
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
    this.options.onActivity();
  }
}
