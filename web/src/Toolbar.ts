/**
 * Tools, colours, widths, undo/redo and clear, with the usual keyboard shortcuts. The undo
 * buttons follow the board's undo manager, which only holds this window's own edits.
 */
import type { Board } from './Board.ts';
import { h, icon } from './dom.ts';
import type { Tool, ToolState } from './DrawingInput.ts';
import { palette, strokeWidths } from './shapes.ts';

const tools: Array<{ tool: Tool; label: string; key: string; d: string }> = [
  { tool: 'pen', label: 'Pen', key: 'p', d: 'M4 20l3.6-.9L18.4 8.3a2.1 2.1 0 0 0-3-3L4.6 16.1 4 20zM13.5 7.2l3 3' },
  { tool: 'line', label: 'Line', key: 'l', d: 'M5 19L19 5' },
  { tool: 'arrow', label: 'Arrow', key: 'a', d: 'M5 19L19 5M10 5h9v9' },
  { tool: 'rect', label: 'Rectangle', key: 'r', d: 'M4 6h16v12H4z' },
  { tool: 'ellipse', label: 'Ellipse', key: 'o', d: 'M12 5c4.4 0 8 3.1 8 7s-3.6 7-8 7-8-3.1-8-7 3.6-7 8-7z' },
  { tool: 'eraser', label: 'Eraser', key: 'e', d: 'M9 20h11M5.3 15.3l8.9-8.9a2 2 0 0 1 2.8 0l2.1 2.1a2 2 0 0 1 0 2.8L12.4 18.8a2 2 0 0 1-1.4.6H8.6a2 2 0 0 1-1.4-.6l-1.9-1.9a1.1 1.1 0 0 1 0-1.6zM9.5 11l4.8 4.8' },
];

const undoIcon = 'M9 14L4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11';
const redoIcon = 'M15 14l5-5-5-5M20 9H9.5a5.5 5.5 0 0 0 0 11H13';
const clearIcon = 'M4 7h16M10 11v6M14 11v6M5.5 7l1 12a2 2 0 0 0 2 2h7a2 2 0 0 0 2-2l1-12M9 7V4h6v3';

export class Toolbar {
  readonly element: HTMLElement;
  /** Undo, redo and clear: a small group of its own (bottom left), as in most whiteboards. */
  readonly history: HTMLElement;
  private readonly state: ToolState = { tool: 'pen', color: palette[0], width: strokeWidths[1] };
  private readonly board: Board;
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private readonly undoButton: HTMLButtonElement;
  private readonly redoButton: HTMLButtonElement;
  private readonly abort = new AbortController();

  constructor(board: Board) {
    this.board = board;
    const toolGroup = h('div', { class: 'tool-group', role: 'radiogroup', 'aria-label': 'tool' });
    for (const { tool, label, key, d } of tools) {
      const button = h('button', { class: 'tool', type: 'button', 'data-tool': tool, title: `${label} (${key.toUpperCase()})`, 'aria-label': label, onclick: () => this.select({ tool }) }, icon(d));
      this.buttons.set(`tool:${tool}`, button);
      toolGroup.append(button);
    }
    const colorGroup = h('div', { class: 'tool-group colors', role: 'radiogroup', 'aria-label': 'colour' });
    palette.forEach((color, i) => {
      const button = h('button', { class: 'swatch', type: 'button', 'data-color': color, title: `Colour ${i + 1}`, 'aria-label': `colour ${color}`, onclick: () => this.select({ color }) });
      button.style.setProperty('--swatch', color);
      this.buttons.set(`color:${color}`, button);
      colorGroup.append(button);
    });
    const widthGroup = h('div', { class: 'tool-group widths', role: 'radiogroup', 'aria-label': 'stroke width' });
    for (const [i, width] of strokeWidths.entries()) {
      const button = h('button', { class: 'width', type: 'button', 'data-width': width, title: ['Thin', 'Medium', 'Thick'][i], 'aria-label': ['thin', 'medium', 'thick'][i], onclick: () => this.select({ width }) }, h('span', { class: 'width-dot' }));
      button.style.setProperty('--dot', `${4 + i * 4}px`);
      this.buttons.set(`width:${width}`, button);
      widthGroup.append(button);
    }
    this.undoButton = h('button', { class: 'tool', type: 'button', 'data-action': 'undo', title: 'Undo (Ctrl+Z)', 'aria-label': 'undo', onclick: () => board.undo() }, icon(undoIcon));
    this.redoButton = h('button', { class: 'tool', type: 'button', 'data-action': 'redo', title: 'Redo (Ctrl+Shift+Z)', 'aria-label': 'redo', onclick: () => board.redo() }, icon(redoIcon));
    const clearButton = h('button', { class: 'tool', type: 'button', 'data-action': 'clear', title: 'Clear the board (undo brings it back)', 'aria-label': 'clear board', onclick: () => board.clear() }, icon(clearIcon));
    this.history = h('div', { class: 'history', role: 'toolbar', 'aria-label': 'history' }, this.undoButton, this.redoButton, clearButton);
    this.element = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'drawing tools' }, toolGroup, colorGroup, widthGroup);
    const refresh = () => this.refreshHistory();
    for (const event of ['stack-item-added', 'stack-item-popped', 'stack-cleared']) board.undoManager.on(event as 'stack-item-added', refresh);
    window.addEventListener('keydown', (e) => this.key(e), { signal: this.abort.signal });
    this.refresh();
  }

  get tools(): ToolState {
    return { ...this.state };
  }

  destroy(): void {
    this.abort.abort();
  }

  private select(change: Partial<ToolState>): void {
    Object.assign(this.state, change);
    // Picking a colour or width while erasing means "draw with it".
    if ((change.color || change.width) && this.state.tool === 'eraser') this.state.tool = 'pen';
    this.refresh();
  }

  private refresh(): void {
    for (const [key, button] of this.buttons) {
      const [kind, value] = key.split(':');
      const selected = String(this.state[kind as keyof ToolState]) === value;
      button.setAttribute('aria-pressed', String(selected));
    }
    this.element.dataset.tool = this.state.tool;
    this.refreshHistory();
  }

  private refreshHistory(): void {
    this.undoButton.disabled = !this.board.canUndo;
    this.redoButton.disabled = !this.board.canRedo;
  }

  private key(event: KeyboardEvent): void {
    const target = event.target as HTMLElement | null;
    if (target?.closest('input, textarea, select, [contenteditable]')) return;
    const mod = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (mod && key === 'z') {
      event.preventDefault();
      if (event.shiftKey) this.board.redo();
      else this.board.undo();
    } else if (mod && key === 'y') {
      event.preventDefault();
      this.board.redo();
    } else if (!mod && !event.altKey) {
      const tool = tools.find((t) => t.key === key);
      if (tool) this.select({ tool: tool.tool });
      else if (/^[1-6]$/.test(key)) this.select({ color: palette[Number(key) - 1] });
    }
  }
}
