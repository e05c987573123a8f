import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { documentToJSON, inferTopLevelKinds, summarizeDocument } from '../../src/documentContent.ts';

// What the server sees: a doc rebuilt from stored bytes, no getX() calls yet.
function decoded(source: Y.Doc): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(source));
  return doc;
}

function buildBoard(): Y.Doc {
  const doc = new Y.Doc();
  doc.transact(() => {
    const shapes = doc.getMap('shapes');
    const s1 = new Y.Map();
    s1.set('x', 1);
    s1.set('y', 2);
    shapes.set('s1', s1);
    shapes.set('s2', { x: 3, y: 4 });
    doc.getArray('elements').push(['a', { kind: 'stroke' }, new Uint8Array([1, 2])]);
    const notes = doc.getText('notes');
    notes.insert(0, 'Hello world');
    notes.format(0, 5, { bold: true });
    const heading = new Y.XmlElement('heading');
    heading.setAttribute('level', '1');
    heading.insert(0, [new Y.XmlText('Intro')]);
    doc.getXmlFragment('outline').insert(0, [heading, new Y.XmlElement('paragraph')]);
  });
  return doc;
}

describe('inferTopLevelKinds', () => {
  it('infers every kind on a doc decoded from bytes and materialises it', () => {
    const doc = decoded(buildBoard());
    for (const type of doc.share.values()) expect(type.constructor).toBe(Y.AbstractType);

    const kinds = inferTopLevelKinds(doc);
    expect(Object.fromEntries(kinds)).toEqual({
      shapes: 'map',
      elements: 'array',
      notes: 'text',
      outline: 'xmlFragment',
    });
    expect(doc.share.get('shapes')).toBeInstanceOf(Y.Map);
    expect(doc.share.get('elements')).toBeInstanceOf(Y.Array);
    expect(doc.share.get('notes')).toBeInstanceOf(Y.Text);
    expect(doc.share.get('outline')).toBeInstanceOf(Y.XmlFragment);
    // Editor-side getters keep working on the converted types.
    expect(doc.getMap('shapes').get('s2')).toEqual({ x: 3, y: 4 });
    expect(doc.getText('notes').toDelta()).toEqual([
      { insert: 'Hello', attributes: { bold: true } },
      { insert: ' world' },
    ]);
  });

  it('recognises a text that starts with an embedded Y type', () => {
    const src = new Y.Doc();
    const text = src.getText('caption');
    text.insertEmbed(0, new Y.Map());
    text.insert(1, 'after the embed');
    expect(inferTopLevelKinds(decoded(src)).get('caption')).toBe('text');
  });

  it('recognises an emptied map, skips an emptied list and an untouched name', () => {
    const src = new Y.Doc();
    src.getMap('wiped').set('k', 1);
    src.getMap('wiped').delete('k');
    src.getArray('cleared').push([1, 2]);
    src.getArray('cleared').delete(0, 2);
    src.getArray('filled').push([1]);
    const doc = decoded(src);
    doc.get('neverWritten');
    const kinds = inferTopLevelKinds(doc);
    expect(kinds.get('wiped')).toBe('map');
    expect(kinds.has('cleared')).toBe(false);
    expect(kinds.has('neverWritten')).toBe(false);
    expect(kinds.get('filled')).toBe('array');
    // A skipped name stays bare, so later code may still pick its kind.
    expect(() => doc.getArray('cleared')).not.toThrow();
  });

  it('keeps the kind of an already materialised, empty type', () => {
    const doc = new Y.Doc();
    doc.getArray('empty');
    expect(inferTopLevelKinds(doc).get('empty')).toBe('array');
  });
});

describe('documentToJSON', () => {
  it('renders every kind, from a live doc and from decoded bytes alike', () => {
    const board = buildBoard();
    const expected = {
      shapes: { s1: { x: 1, y: 2 }, s2: { x: 3, y: 4 } },
      elements: ['a', { kind: 'stroke' }, new Uint8Array([1, 2])],
      notes: 'Hello world',
      outline: '<heading level="1">Intro</heading><paragraph></paragraph>',
    };
    expect(documentToJSON(board)).toEqual(expected);
    expect(documentToJSON(decoded(board))).toEqual(expected);
  });

  it('omits empty top-level types', () => {
    const doc = new Y.Doc();
    doc.getMap('empty');
    doc.getText('blank');
    doc.getArray('list').push([1]);
    expect(documentToJSON(doc)).toEqual({ list: [1] });
  });
});

describe('summarizeDocument', () => {
  it('lists name, kind and size, including empty types', () => {
    const doc = decoded(buildBoard());
    doc.getMap('wiped');
    const rows = summarizeDocument(doc);
    expect(rows.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'elements', kind: 'array', size: 3 },
      { name: 'notes', kind: 'text', size: 11 },
      { name: 'outline', kind: 'xmlFragment', size: 2 },
      { name: 'shapes', kind: 'map', size: 2 },
      { name: 'wiped', kind: 'map', size: 0 },
    ]);
  });
});
