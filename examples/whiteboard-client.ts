/**
 * A minimal whiteboard client: joins a session's board with HocuspocusProvider, adds a shape,
 * waits until the server has stored it, prints what is on the board, and leaves.
 *
 *   TOKEN=$(npx tutorboard token --sub ada --session demo --role tutor) node whiteboard-client.ts
 *
 * Needs `npm install @hocuspocus/provider yjs` next to it (Node 22 has the WebSocket it uses).
 */
import { HocuspocusProvider } from '@hocuspocus/provider';
import * as Y from 'yjs';

const server = process.env.TUTORBOARD_WS ?? 'ws://127.0.0.1:1234';
const sessionId = process.env.SESSION ?? 'demo';
const token = process.env.TOKEN;
if (!token) {
  console.error('set TOKEN, e.g. TOKEN=$(npx tutorboard token --sub ada --session demo --role tutor)');
  process.exit(2);
}

const document = new Y.Doc();
const shapes = document.getMap<{ kind: string; x: number; y: number }>('shapes');

const provider = new HocuspocusProvider({
  url: `${server}/ws/v2/session/${sessionId}/whiteboard`,
  name: sessionId, // must equal the session id in the URL
  token, // the provider's token, not ?token= in the URL: a refusal then reaches onAuthenticationFailed
  document,
  onAuthenticationFailed: ({ reason }) => {
    console.error(`refused: ${reason}`);
    process.exit(1);
  },
  onSynced: () => {
    shapes.set(`circle-${Date.now()}`, { kind: 'circle', x: 100, y: 80 });
  },
  onUnsyncedChanges: ({ number }) => {
    // 0 again after the edit: the server has committed it to its database.
    if (number > 0 || shapes.size === 0) return;
    console.log(`session ${sessionId}: ${shapes.size} shape(s) on the board, all saved`);
    provider.destroy();
  },
});
