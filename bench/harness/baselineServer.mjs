// The baselines the benchmarks compare tutorboard with, each run as its own child process (with
// probe.mjs preloaded) and reporting its port over IPC:
//
//   node bench/harness/baselineServer.mjs bare           stock Hocuspocus `Server`, in memory
//   node bench/harness/baselineServer.mjs bare-db FILE   the same + @hocuspocus/extension-database
//                                                        on a SQLite table (name → state blob;
//                                                        schema in baselineDatabase.ts)
//   node bench/harness/baselineServer.mjs relay          a raw `ws` relay: every frame to the
//                                                        other sockets on the same URL path
//
// Stock configuration otherwise (Hocuspocus defaults: debounce 2 s, flushDelay 0). SIGTERM stops.
// Plain JavaScript, as a stock server is run (see probe.mjs for why that matters to memory).
import { Database } from '@hocuspocus/extension-database';
import { Server } from '@hocuspocus/server';
import BetterSqlite3 from 'better-sqlite3';
import { WebSocket, WebSocketServer } from 'ws';

async function startHocuspocus(databaseFile) {
  const extensions = [];
  let db;
  if (databaseFile) {
    db = new BetterSqlite3(databaseFile);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS documents (name TEXT PRIMARY KEY, data BLOB NOT NULL)');
    const select = db.prepare('SELECT data FROM documents WHERE name = ?');
    const upsert = db.prepare('INSERT INTO documents (name, data) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET data = excluded.data');
    extensions.push(
      new Database({
        fetch: async ({ documentName }) => {
          const row = select.get(documentName);
          return row ? new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength) : null;
        },
        store: async ({ documentName, state }) => void upsert.run(documentName, state),
      }),
    );
  }
  const server = new Server({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false, extensions });
  await server.listen();
  return {
    port: server.address.port,
    stop: async () => {
      await server.destroy();
      db?.close();
    },
  };
}

async function startRelay() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const rooms = new Map();
  wss.on('connection', (ws, request) => {
    const path = request.url ?? '/';
    const room = rooms.get(path) ?? new Set();
    rooms.set(path, room);
    room.add(ws);
    ws.on('message', (data, isBinary) => {
      for (const other of room) if (other !== ws && other.readyState === WebSocket.OPEN) other.send(data, { binary: isBinary });
    });
    ws.on('close', () => {
      room.delete(ws);
      if (room.size === 0) rooms.delete(path);
    });
  });
  return { port: wss.address().port, stop: () => new Promise((resolve) => wss.close(() => resolve())) };
}

const [kind, file] = process.argv.slice(2);
const started = kind === 'relay' ? await startRelay() : await startHocuspocus(kind === 'bare-db' ? file : undefined);
process.once('SIGTERM', () => void started.stop().then(() => process.exit(0)));
process.send?.({ type: 'bench:listening', port: started.port });
