/**
 * Who is in the session, from the tutor channel's welcome and presence events: one row per user
 * (a user with two windows is one row), their role, and a raised hand. A tutor can lower a hand.
 */
import type { Peer } from './channelTypes.ts';
import { h, icon, icons, userColor } from './dom.ts';

export interface Member {
  userId: string;
  role: string;
  connections: number;
  self: boolean;
}

const roleOrder = ['tutor', 'student', 'observer', 'admin'];

export class PresenceList {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly count: HTMLElement;
  private readonly onLowerHand: ((userId: string) => void) | undefined;
  private members: Member[] = [];
  private readonly hands = new Set<string>();

  constructor(options: { onLowerHand?: (userId: string) => void }) {
    this.onLowerHand = options.onLowerHand;
    this.count = h('span', { class: 'count' });
    this.list = h('ul', { class: 'people', 'aria-label': 'people in this session' });
    this.element = h('section', { class: 'presence' }, h('h2', {}, 'People ', this.count), this.list);
  }

  /** Rebuilds from this window's identity plus the channel's peers (other connections). */
  update(self: { userId: string; role: string } | undefined, peers: Peer[]): void {
    const byUser = new Map<string, Member>();
    if (self) byUser.set(self.userId, { userId: self.userId, role: self.role, connections: 1, self: true });
    for (const peer of peers) {
      const member = byUser.get(peer.userId);
      if (member) member.connections += 1;
      else byUser.set(peer.userId, { userId: peer.userId, role: peer.role, connections: 1, self: false });
    }
    this.members = [...byUser.values()].sort(
      (a, b) => Number(b.self) - Number(a.self) || roleOrder.indexOf(a.role) - roleOrder.indexOf(b.role) || a.userId.localeCompare(b.userId),
    );
    for (const userId of this.hands) if (!byUser.has(userId)) this.hands.delete(userId);
    this.render();
  }

  has(userId: string): boolean {
    return this.members.some((m) => m.userId === userId);
  }

  get students(): string[] {
    return this.members.filter((m) => m.role === 'student' && !m.self).map((m) => m.userId);
  }

  setHand(userId: string, raised: boolean): void {
    if (raised) this.hands.add(userId);
    else this.hands.delete(userId);
    this.render();
  }

  handRaised(userId: string): boolean {
    return this.hands.has(userId);
  }

  private render(): void {
    this.count.textContent = String(this.members.length);
    this.list.replaceChildren(
      ...this.members.map((member) => {
        const raised = this.hands.has(member.userId);
        const avatar = h('span', { class: 'avatar', 'aria-hidden': 'true' }, member.userId.slice(0, 1).toUpperCase());
        avatar.style.background = userColor(member.userId);
        const lower =
          raised && this.onLowerHand
            ? h('button', { class: 'link', type: 'button', 'data-action': 'lower-hand', onclick: () => this.onLowerHand!(member.userId) }, 'lower')
            : null;
        return h(
          'li',
          { 'data-user': member.userId, 'data-role': member.role, 'data-hand': raised ? 'raised' : null },
          avatar,
          h('span', { class: 'name' }, member.userId, member.self ? h('span', { class: 'you' }, ' (you)') : null),
          member.connections > 1 ? h('span', { class: 'windows', title: `${member.connections} windows` }, `×${member.connections}`) : null,
          raised ? h('span', { class: 'hand', title: 'hand raised', role: 'img', 'aria-label': 'hand raised' }, icon(icons.hand, 16)) : null,
          lower,
          h('span', { class: `role role-${member.role}` }, member.role),
        );
      }),
    );
  }
}
