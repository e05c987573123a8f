import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { documentToJSON } from '../../src/documentContent.ts';
import { cloneValue } from '../../src/cloneValue.ts';
import { restoreDocument } from '../../src/restoreDocument.ts';

// ---- replicas and sync, with real Yjs updates ----

function replicaOf(state: Uint8Array | Y.Doc): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state instanceof Y.Doc ? Y.encodeStateAsUpdate(state) : state);
  return doc;
}

// The reconnect handshake: each side sends what the other lacks.
function syncBothWays(a: Y.Doc, b: Y.Doc): void {
  const aVector = Y.encodeStateVector(a);
  const bVector = Y.encodeStateVector(b);
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, bVector));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, aVector));
}

const RELAY = Symbol('relay');

// Live connection: every local update is delivered to all other replicas.
function connect(...docs: Y.Doc[]): () => void {
  const handlers = docs.map((doc) => {
    const handler = (update: Uint8Array, origin: unknown) => {
      if (origin === RELAY) return;
      for (const other of docs) if (other !== doc) Y.applyUpdate(other, update, RELAY);
    };
    doc.on('update', handler);
    return handler;
  });
  for (const a of docs) for (const b of docs) if (a !== b) syncBothWays(a, b);
  return () => docs.forEach((doc, i) => doc.off('update', handlers[i]));
}

// ---- board content ----

function addShape(doc: Y.Doc, id: string, x: number, y: number, color: string): Y.Map<unknown> {
  const shape = new Y.Map<unknown>();
  shape.set('x', x);
  shape.set('y', y);
  const props = new Y.Map<unknown>();
  props.set('color', color);
  props.set('points', [
    [0, 0],
    [x, y],
  ]);
  shape.set('props', props);
  doc.getMap('shapes').set(id, shape);
  return shape;
}

function buildBoard(): Y.Doc {
  const doc = new Y.Doc();
  doc.transact(() => {
    addShape(doc, 's1', 10, 20, 'red');
    addShape(doc, 's2', 30, 40, 'blue');
    const layer = new Y.Map<unknown>();
    layer.set('name', 'background');
    layer.set('caption', new Y.Text('Fractions'));
    doc
      .getArray('elements')
      .push(['title', { kind: 'stroke', width: 2 }, new Uint8Array([7, 8, 9]), layer, Y.Array.from([1, 2, 3])]);
    const notes = doc.getText('notes');
    notes.insert(0, 'Hello brave world');
    notes.format(0, 5, { bold: true });
    notes.insertEmbed(17, { image: 'diagram.png' }, { width: 200 });
    const heading = new Y.XmlElement('heading');
    heading.setAttribute('level', '1');
    heading.insert(0, [new Y.XmlText('Intro')]);
    const para = new Y.XmlElement('paragraph');
    para.insert(0, [new Y.XmlText('Step one')]);
    doc.getXmlFragment('outline').insert(0, [heading, para]);
  });
  return doc;
}

// documentToJSON drops text formatting and embeds, so compare deltas too.
// Adjacent runs with equal formatting are merged: toDelta() splits at stale
// formatting markers, which is not a content difference.
function textState(text: Y.Text) {
  const ops: Array<{ insert: unknown; attributes: string }> = [];
  for (const op of text.toDelta() as Array<{ insert: unknown; attributes?: object }>) {
    const attributes = JSON.stringify(Object.entries(op.attributes ?? {}).sort());
    const last = ops[ops.length - 1];
    if (last && typeof last.insert === 'string' && typeof op.insert === 'string' && last.attributes === attributes) {
      last.insert += op.insert;
    } else {
      ops.push({ insert: op.insert instanceof Y.AbstractType ? op.insert.toJSON() : op.insert, attributes });
    }
  }
  return ops;
}

function richState(doc: Y.Doc, textName = 'notes') {
  return { json: documentToJSON(doc), text: textState(doc.getText(textName)) };
}

function wipeBoard(doc: Y.Doc): void {
  doc.transact(() => {
    const shapes = doc.getMap('shapes');
    for (const key of [...shapes.keys()]) shapes.delete(key);
    const elements = doc.getArray('elements');
    elements.delete(0, elements.length);
    const notes = doc.getText('notes');
    notes.delete(0, notes.length);
    notes.insert(0, 'lol');
    doc.getXmlFragment('outline').delete(0, 1);
  });
}

describe('restoreDocument: content', () => {
  it('restores every kind of content to an earlier snapshot', () => {
    const live = buildBoard();
    const snapshot = Y.encodeStateAsUpdate(live);
    const expected = richState(replicaOf(snapshot));

    live.transact(() => {
      const shapes = live.getMap('shapes');
      shapes.delete('s1');
      (shapes.get('s2') as Y.Map<unknown>).set('x', 999);
      ((shapes.get('s2') as Y.Map<unknown>).get('props') as Y.Map<unknown>).set('color', 'green');
      addShape(live, 's3', 1, 1, 'pink');
      const elements = live.getArray<unknown>('elements');
      elements.delete(0, 1);
      elements.push(['new']);
      ((elements.get(2) as Y.Map<unknown>).get('caption') as Y.Text).insert(0, 'Improper ');
      (elements.get(3) as Y.Array<number>).push([4]);
      const notes = live.getText('notes');
      notes.format(0, 5, { bold: null, italic: true });
      notes.insert(6, 'very ', { underline: true });
      const outline = live.getXmlFragment('outline');
      const heading = outline.get(0) as Y.XmlElement;
      heading.setAttribute('level', '2');
      heading.setAttribute('id', 'intro');
      (heading.get(0) as Y.XmlText).insert(5, 'duction');
      outline.insert(2, [new Y.XmlElement('figure')]);
      live.getMap('scratch').set('tmp', 1);
    });
    expect(richState(live)).not.toEqual(expected);

    expect(restoreDocument(live, snapshot)).toEqual({ changed: true });
    expect(richState(live)).toEqual(expected);
    expect(live.getMap('scratch').size).toBe(0);
    // Other replicas rebuilt from the result agree, formatting included.
    expect(richState(replicaOf(live))).toEqual(expected);
  });

  it('accepts the target as bytes or as a Y.Doc, and creates missing top-level types', () => {
    const snapshotDoc = buildBoard();
    const fromBytes = new Y.Doc();
    const fromDoc = new Y.Doc();
    restoreDocument(fromBytes, Y.encodeStateAsUpdate(snapshotDoc));
    restoreDocument(fromDoc, snapshotDoc);
    expect(richState(fromBytes)).toEqual(richState(snapshotDoc));
    expect(richState(fromDoc)).toEqual(richState(snapshotDoc));
  });

  it('makes no change and emits no update when the content already matches', () => {
    const live = buildBoard();
    let updates = 0;
    let transactions = 0;
    live.on('update', () => updates++);
    live.on('afterTransaction', () => transactions++);
    expect(restoreDocument(live, Y.encodeStateAsUpdate(live))).toEqual({ changed: false });
    expect(restoreDocument(live, replicaOf(live))).toEqual({ changed: false });
    expect(updates).toBe(0);
    expect(transactions).toBe(0);
  });

  it('applies the edit in one transaction with the given origin', () => {
    const live = buildBoard();
    const snapshot = Y.encodeStateAsUpdate(live);
    wipeBoard(live);
    const origins: unknown[] = [];
    live.on('update', (_update: Uint8Array, origin: unknown) => origins.push(origin));
    restoreDocument(live, snapshot, 'restore');
    expect(origins).toEqual(['restore']);
  });

  it('patches equal records in place instead of replacing them', () => {
    const live = buildBoard();
    const snapshot = Y.encodeStateAsUpdate(live);
    const s2 = live.getMap('shapes').get('s2') as Y.Map<unknown>;
    const layer = live.getArray('elements').get(3) as Y.Map<unknown>;
    const heading = live.getXmlFragment('outline').get(0);
    s2.set('x', 0);
    live.getArray('elements').insert(1, ['inserted']);
    (live.getArray('elements').get(4) as Y.Map<unknown>).set('name', 'foreground');
    (heading as Y.XmlElement).setAttribute('level', '3');

    restoreDocument(live, snapshot);
    expect(live.getMap('shapes').get('s2')).toBe(s2);
    expect(live.getArray('elements').get(3)).toBe(layer);
    expect(layer.get('name')).toBe('background');
    expect(live.getXmlFragment('outline').get(0)).toBe(heading);
    expect(documentToJSON(live)).toEqual(documentToJSON(replicaOf(snapshot)));
  });

  it('diffs arrays element-wise (LCS) and keeps the untouched elements', () => {
    const live = new Y.Doc();
    const list = live.getArray<unknown>('list');
    const kept = new Y.Map<unknown>();
    kept.set('id', 'kept');
    list.push([1, 2, kept, 4, 5, 6]);
    const target = new Y.Doc();
    const keptCopy = new Y.Map<unknown>();
    keptCopy.set('id', 'kept');
    target.getArray<unknown>('list').push([0, 2, keptCopy, 5, 7, 6]);
    restoreDocument(live, target);
    expect(list.toJSON()).toEqual([0, 2, { id: 'kept' }, 5, 7, 6]);
    expect(list.get(2)).toBe(kept);
  });

  it('only retypes the changed middle of a text', () => {
    const live = new Y.Doc();
    live.getText('t').insert(0, 'Hello brave new world');
    const target = new Y.Doc();
    target.getText('t').insert(0, 'Hello world');
    let deletedChars = 0;
    live.on('afterTransaction', (tr: Y.Transaction) => {
      Y.iterateDeletedStructs(tr, tr.deleteSet, (struct) => {
        if (struct instanceof Y.Item && struct.content instanceof Y.ContentString) deletedChars += struct.length;
      });
    });
    restoreDocument(live, target);
    expect(live.getText('t').toString()).toBe('Hello world');
    expect(deletedChars).toBe('brave new '.length);

    // A formatting-only difference re-formats without deleting characters.
    deletedChars = 0;
    target.getText('t').format(0, 5, { bold: true });
    restoreDocument(live, target);
    expect(live.getText('t').toDelta()).toEqual(target.getText('t').toDelta());
    expect(deletedChars).toBe(0);
  });

  it('never splits a surrogate pair', () => {
    const live = new Y.Doc();
    live.getText('t').insert(0, 'a😀b');
    const target = new Y.Doc();
    target.getText('t').insert(0, 'a😃b');
    restoreDocument(live, target);
    expect(live.getText('t').toString()).toBe('a😃b');
  });

  it('clones nested Y types, including Y types inside text embeds', () => {
    const target = new Y.Doc();
    const embedded = new Y.Map<unknown>();
    embedded.set('formula', 'x^2');
    target.getText('notes').insertEmbed(0, embedded);
    target.getMap('m').set('bytes', new Uint8Array([1, 2]));
    const live = new Y.Doc();
    restoreDocument(live, target);
    expect(richState(live)).toEqual(richState(target));
    expect(live.getMap('m').get('bytes')).toEqual(new Uint8Array([1, 2]));

    const copy = cloneValue(target.getText('notes')) as Y.Text;
    new Y.Doc().getMap('holder').set('copy', copy);
    expect(copy.toDelta()[0].insert.toJSON()).toEqual({ formula: 'x^2' });
  });

  it('refuses a top-level kind change and leaves the doc untouched', () => {
    const live = new Y.Doc();
    live.getArray('shapes').push([1]);
    const target = new Y.Doc();
    target.getMap('shapes').set('a', 1);
    let updates = 0;
    live.on('update', () => updates++);
    expect(() => restoreDocument(live, target)).toThrow(/array in the live document but a map in the snapshot/);
    expect(updates).toBe(0);
  });
});

describe('restoreDocument: replicas', () => {
  it('converges connected clients after a student wipes the board', () => {
    const server = buildBoard();
    const b = new Y.Doc();
    const c = new Y.Doc();
    const disconnect = connect(server, b, c);
    const snapshot = Y.encodeStateAsUpdate(server);
    const expected = richState(replicaOf(snapshot));

    wipeBoard(b);
    expect(richState(c).json).toEqual(richState(server).json);
    expect(richState(server)).not.toEqual(expected);

    restoreDocument(server, snapshot, 'restore');
    for (const doc of [server, b, c]) expect(richState(doc)).toEqual(expected);
    disconnect();
  });

  it('keeps removed content removed when an offline replica reconnects', () => {
    const server = buildBoard();
    const snapshot = Y.encodeStateAsUpdate(server); // taken before X existed
    const expected = richState(replicaOf(snapshot));

    addShape(server, 'X', 5, 5, 'black');
    server.getArray('elements').push(['X-element']);
    server.getText('notes').insert(0, 'X ');
    const offline = replicaOf(server); // D syncs and has X, then goes offline

    wipeBoard(server);
    restoreDocument(server, snapshot);
    expect(richState(server)).toEqual(expected);

    syncBothWays(server, offline);
    expect(richState(offline)).toEqual(expected);
    expect(richState(server)).toEqual(expected);
    expect(offline.getMap('shapes').has('X')).toBe(false);
  });

  it('merges edits made concurrently with the restore into the restored board', () => {
    const server = buildBoard();
    const snapshot = Y.encodeStateAsUpdate(server);
    server.getMap('shapes').delete('s1');
    (server.getMap('shapes').get('s2') as Y.Map<unknown>).set('x', 0);
    const student = replicaOf(server);

    // Unsynced edits on both sides: the student moves s2 and adds a shape.
    (student.getMap('shapes').get('s2') as Y.Map<unknown>).set('y', 77);
    addShape(student, 'late', 1, 2, 'gray');
    restoreDocument(server, snapshot);
    syncBothWays(server, student);

    expect(documentToJSON(student)).toEqual(documentToJSON(server));
    const shapes = server.getMap('shapes').toJSON();
    expect(Object.keys(shapes).sort()).toEqual(['late', 's1', 's2']);
    // s2 was patched in place (x restored), so the student's y survives.
    expect(shapes.s2).toMatchObject({ x: 30, y: 77 });
  });

  it('can be undone by restoring the pre-restore state', () => {
    const server = buildBoard();
    const snapshot = Y.encodeStateAsUpdate(server);
    addShape(server, 's3', 3, 3, 'teal');
    server.getText('notes').format(6, 5, { italic: true });
    const b = new Y.Doc();
    const disconnect = connect(server, b);
    const original = richState(server);

    const beforeRestore = Y.encodeStateAsUpdate(server);
    restoreDocument(server, snapshot);
    expect(richState(b)).toEqual(richState(replicaOf(snapshot)));
    restoreDocument(server, beforeRestore);
    expect(richState(server)).toEqual(original);
    expect(richState(b)).toEqual(original);
    disconnect();
  });
});

// ---- randomized check: many small edit mixes, restored and re-synced ----

function prng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

function randomEdits(doc: Y.Doc, rnd: () => number): void {
  const pick = (n: number) => Math.floor(rnd() * n);
  const list = doc.getArray<unknown>('list');
  const map = doc.getMap<unknown>('map');
  const text = doc.getText('t');
  const xml = doc.getXmlFragment('xml');
  // Text offsets on code point boundaries: splitting an emoji is an editor bug
  // that corrupts text on its own, not something restore must survive.
  const cuts = () => {
    const out = [0];
    for (const ch of text.toString()) out.push(out[out.length - 1] + ch.length);
    return out;
  };
  for (let n = 1 + pick(8); n > 0; n--) {
    switch (pick(8)) {
      case 0:
        list.insert(pick(list.length + 1), [pick(5)]);
        break;
      case 1: {
        const record = new Y.Map<unknown>();
        record.set('v', pick(3));
        record.set('label', new Y.Text('ab'));
        list.insert(pick(list.length + 1), [record]);
        break;
      }
      case 2:
        if (list.length > 0) list.delete(pick(list.length), 1);
        break;
      case 3: {
        const key = `k${pick(4)}`;
        const current = map.get(key);
        if (current instanceof Y.Map) current.set('v', pick(9));
        else if (rnd() < 0.5) map.set(key, new Y.Map([['v', 1]]));
        else map.set(key, pick(3));
        break;
      }
      case 4:
        text.insert(cuts()[pick(cuts().length)], ['x', 'yz', '😀'][pick(3)], rnd() < 0.5 ? { bold: true } : {});
        break;
      case 5: {
        const c = cuts();
        if (c.length > 1) {
          const from = pick(c.length - 1);
          const to = Math.min(c.length - 1, from + 1 + pick(3));
          if (rnd() < 0.5) text.delete(c[from], c[to] - c[from]);
          else text.format(c[from], c[to] - c[from], { italic: rnd() < 0.5 ? true : null });
        }
        break;
      }
      case 6: {
        const el = new Y.XmlElement(rnd() < 0.5 ? 'p' : 'h1');
        el.setAttribute('a', String(pick(3)));
        el.insert(0, [new Y.XmlText('hi')]);
        xml.insert(pick(xml.length + 1), [el]);
        break;
      }
      default: {
        const el = xml.length > 0 ? xml.get(pick(xml.length)) : null;
        if (el instanceof Y.XmlElement) {
          if (rnd() < 0.5) el.setAttribute('a', 'z');
          else (el.get(0) as Y.XmlText).insert(0, 'q');
        }
      }
    }
  }
}

describe('restoreDocument: randomized', () => {
  it('restores, converges offline and concurrent replicas, and is idempotent', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const rnd = prng(seed);
      const server = new Y.Doc();
      randomEdits(server, rnd);
      const snapshot = Y.encodeStateAsUpdate(server);
      const expected = richState(replicaOf(snapshot), 't');
      const concurrent = replicaOf(snapshot);
      randomEdits(server, rnd);
      randomEdits(server, rnd);
      const offline = replicaOf(server);
      randomEdits(concurrent, rnd);

      restoreDocument(server, snapshot);
      expect(richState(server, 't'), `seed ${seed}`).toEqual(expected);
      expect(restoreDocument(server, snapshot).changed, `seed ${seed}`).toBe(false);

      Y.applyUpdate(offline, Y.encodeStateAsUpdate(server, Y.encodeStateVector(offline)));
      expect(richState(offline, 't'), `seed ${seed}`).toEqual(expected);

      syncBothWays(server, concurrent);
      expect(richState(concurrent, 't')).toEqual(richState(server, 't'));
      restoreDocument(server, snapshot);
      expect(richState(server, 't'), `seed ${seed}`).toEqual(expected);
    }
  });
});
