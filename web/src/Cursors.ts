/**
 * Live cursors through the whiteboard's awareness: this window publishes its user (name, colour,
 * role) and pointer position; every other window's pointer is drawn with a name tag. Awareness
 * is ephemeral: nothing here is stored, and a closed window's cursor disappears with its state.
 */
import type { Awareness } from 'y-protocols/awareness';
import { h, svg } from './dom.ts';
import { boardHeight, boardWidth } from './shapes.ts';

export interface AwarenessUser {
  name: string;
  color: string;
  role: string;
}

interface RemoteState {
  user?: Partial<AwarenessUser>;
  cursor?: { x?: unknown; y?: unknown } | null;
}

export class Cursors {
  private readonly awareness: Awareness;
  private readonly overlay: HTMLElement;
  private readonly elements = new Map<number, HTMLElement>();
  private pendingCursor: { x: number; y: number } | null | undefined;
  private frame = 0;
  private readonly onChange = () => this.render();

  constructor(awareness: Awareness, overlay: HTMLElement, user: AwarenessUser) {
    this.awareness = awareness;
    this.overlay = overlay;
    awareness.setLocalState({ user, cursor: null });
    awareness.on('change', this.onChange);
    this.render();
  }

  /** Publishes this window's pointer, at most once per animation frame. */
  move(position: { x: number; y: number } | null): void {
    this.pendingCursor = position && { x: Math.round(position.x), y: Math.round(position.y) };
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      this.awareness.setLocalStateField('cursor', this.pendingCursor ?? null);
    });
  }

  /** The users on the board now (one entry per window), this one included. */
  users(): AwarenessUser[] {
    return [...this.awareness.getStates().values()]
      .map((state) => (state as RemoteState).user)
      .filter((user): user is AwarenessUser => typeof user?.name === 'string');
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.awareness.off('change', this.onChange);
    this.overlay.replaceChildren();
  }

  private render(): void {
    const seen = new Set<number>();
    for (const [clientId, raw] of this.awareness.getStates()) {
      if (clientId === this.awareness.clientID) continue;
      const state = raw as RemoteState;
      const x = Number(state.cursor?.x);
      const y = Number(state.cursor?.y);
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      seen.add(clientId);
      let element = this.elements.get(clientId);
      if (!element) {
        element = cursorElement(clientId);
        this.elements.set(clientId, element);
        this.overlay.append(element);
      }
      const name = typeof state.user?.name === 'string' ? state.user.name.slice(0, 40) : 'someone';
      const color = typeof state.user?.color === 'string' && /^#[0-9a-f]{6}$/i.test(state.user.color) ? state.user.color : '#868e96';
      element.style.left = `${(Math.max(0, Math.min(boardWidth, x)) / boardWidth) * 100}%`;
      element.style.top = `${(Math.max(0, Math.min(boardHeight, y)) / boardHeight) * 100}%`;
      element.style.setProperty('--cursor-color', color);
      element.lastElementChild!.textContent = name;
    }
    for (const [clientId, element] of this.elements) {
      if (seen.has(clientId)) continue;
      element.remove();
      this.elements.delete(clientId);
    }
  }
}

function cursorElement(clientId: number): HTMLElement {
  const arrow = svg('svg', { viewBox: '0 0 16 16', width: 18, height: 18 });
  arrow.append(svg('path', { d: 'M1 1 L1 13 L4.5 9.8 L7 15 L9.2 14 L6.8 8.8 L11.5 8.8 Z' }));
  return h('div', { class: 'cursor', 'data-client': clientId }, arrow, h('span', { class: 'cursor-name' }));
}
