/**
 * Read-only views of a Y.Doc's top-level content.
 *
 * A doc rebuilt from stored bytes on the server has never been touched by the
 * editor code, so `doc.share` holds every top-level type as a bare
 * `Y.AbstractType`: Yjs only learns whether "shapes" is a map or an array when
 * somebody calls `getMap('shapes')` / `getArray('shapes')`. The update format
 * does not record the kind, so we infer it from the stored items and then
 * materialise the type with the matching getter (which converts the bare type
 * in place, keeping all its items).
 */
import * as Y from 'yjs';

export type TopLevelKind = 'map' | 'array' | 'text' | 'xmlFragment';

export interface TopLevelSummary {
  name: string;
  kind: TopLevelKind;
  size: number;
}

// Inference from internal structure. Returns null when the type holds no
// evidence at all (never written to, or list content that was deleted and
// garbage collected): such a type is indistinguishable from one that does not
// exist, so callers skip it rather than guess a kind that could later clash
// with `getArray(name)` in the editor code.
function inferBareKind(type: Y.AbstractType<any>): TopLevelKind | null {
  // Map entries stay in `_map` even after deletion (as tombstones), so an
  // emptied map is still recognised as a map.
  if (type._map.size > 0) return 'map';
  let sawXml = false;
  let sawList = false;
  for (let item = type._start; item !== null; item = item.right) {
    const content = item.content;
    if (content instanceof Y.ContentDeleted) continue;
    // Strings, formatting marks and embeds only ever live in a Y.Text.
    if (content instanceof Y.ContentString || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed) {
      return 'text';
    }
    if (
      content instanceof Y.ContentType &&
      (content.type instanceof Y.XmlElement || content.type instanceof Y.XmlText || content.type instanceof Y.XmlHook)
    ) {
      sawXml = true;
    } else {
      sawList = true;
    }
  }
  // Keep scanning past the first item: a text whose visible part starts with
  // an embedded Y type would otherwise be mistaken for an array.
  if (sawXml) return 'xmlFragment';
  if (sawList) return 'array';
  return null;
}

function kindOfInstance(type: Y.AbstractType<any>): TopLevelKind | null {
  // Order matters: XmlText extends Text, XmlHook extends Map.
  if (type instanceof Y.Text) return 'text';
  if (type instanceof Y.XmlFragment) return 'xmlFragment';
  if (type instanceof Y.Map) return 'map';
  if (type instanceof Y.Array) return 'array';
  return null;
}

/**
 * Returns the top-level type `name` as the class for `kind`, converting a bare
 * type if needed. An existing instance of a compatible subclass (say an
 * XmlText registered with `doc.get(name, Y.XmlText)`) is returned as is,
 * because the plain getter would throw on the constructor mismatch.
 */
export function getTopLevel(doc: Y.Doc, name: string, kind: TopLevelKind): Y.AbstractType<any> {
  const existing = doc.share.get(name);
  if (existing !== undefined && kindOfInstance(existing) === kind) return existing;
  switch (kind) {
    case 'map':
      return doc.getMap(name);
    case 'array':
      return doc.getArray(name);
    case 'text':
      return doc.getText(name);
    case 'xmlFragment':
      return doc.getXmlFragment(name);
  }
}

/**
 * Kind of every top-level type that has one, materialising bare types as a
 * side effect. Types without any evidence of their kind are left out (see
 * `inferBareKind`); an already materialised type always keeps its kind, even
 * when empty.
 */
export function inferTopLevelKinds(doc: Y.Doc): Map<string, TopLevelKind> {
  const kinds = new Map<string, TopLevelKind>();
  // Copy first: materialising replaces entries of `doc.share`.
  for (const [name, type] of [...doc.share]) {
    const kind = kindOfInstance(type) ?? inferBareKind(type);
    if (kind === null) continue;
    getTopLevel(doc, name, kind);
    kinds.set(name, kind);
  }
  return kinds;
}

function sizeOf(type: Y.AbstractType<any>, kind: TopLevelKind): number {
  switch (kind) {
    case 'map':
      return (type as Y.Map<unknown>).size;
    case 'array':
      return (type as Y.Array<unknown>).length;
    case 'text':
      return (type as Y.Text).length;
    case 'xmlFragment':
      return (type as Y.XmlFragment).length;
  }
}

function jsonOf(type: Y.AbstractType<any>, kind: TopLevelKind): unknown {
  switch (kind) {
    case 'map':
    case 'array':
      return type.toJSON();
    case 'text':
    case 'xmlFragment':
      // XmlFragment.toJSON() is already its XML string; toString() is explicit.
      return type.toString();
  }
}

/**
 * Every non-empty top-level type as JSON. Empty types are omitted on purpose:
 * Yjs cannot delete a top-level type, so "emptied" and "never existed" are the
 * same content, and a doc restored to a snapshot that lacks a type must
 * compare equal to that snapshot.
 */
export function documentToJSON(doc: Y.Doc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of inferTopLevelKinds(doc)) {
    const type = getTopLevel(doc, name, kind);
    if (sizeOf(type, kind) === 0) continue;
    out[name] = jsonOf(type, kind);
  }
  return out;
}

/**
 * One row per top-level type whose kind is known, empty ones included (size 0)
 * so an operator can see that e.g. "shapes" exists but was wiped.
 */
export function summarizeDocument(doc: Y.Doc): TopLevelSummary[] {
  const rows: TopLevelSummary[] = [];
  for (const [name, kind] of inferTopLevelKinds(doc)) {
    rows.push({ name, kind, size: sizeOf(getTopLevel(doc, name, kind), kind) });
  }
  return rows;
}

// ---- deep equality of content ----

/**
 * Class identity of a shared type, fine enough to decide whether one value can
 * be patched into another in place (same element name, same hook name), or
 * null for plain values.
 */
export function sharedTypeKind(value: unknown): string | null {
  // Subclasses first: XmlText extends Text, XmlHook extends Map,
  // XmlElement extends XmlFragment.
  if (value instanceof Y.XmlText) return 'xmlText';
  if (value instanceof Y.Text) return 'text';
  if (value instanceof Y.XmlHook) return `hook:${value.hookName}`;
  if (value instanceof Y.Map) return 'map';
  if (value instanceof Y.Array) return 'array';
  if (value instanceof Y.XmlElement) return `element:${value.nodeName}`;
  if (value instanceof Y.XmlFragment) return 'fragment';
  return null;
}

/** One op of `Y.Text.toDelta()`. */
export type DeltaOp = { insert: unknown; attributes?: Record<string, unknown> };

// toDelta() starts a new op at every formatting marker, even one that no
// longer changes anything (e.g. after the text it formatted was deleted), so
// equal-looking texts can have different deltas. Merge those runs.
function normalizedDelta(text: Y.Text): Array<{ insert: unknown; attributes: Record<string, unknown> }> {
  const out: Array<{ insert: unknown; attributes: Record<string, unknown> }> = [];
  for (const op of text.toDelta() as DeltaOp[]) {
    const last = out[out.length - 1];
    const attributes = op.attributes ?? {};
    if (
      last !== undefined &&
      typeof last.insert === 'string' &&
      typeof op.insert === 'string' &&
      contentKey(last.attributes) === contentKey(attributes)
    ) {
      last.insert += op.insert;
    } else {
      out.push({ insert: op.insert, attributes });
    }
  }
  return out;
}

// A JSON-able, kind-tagged rendering. The tags keep a Y.Map apart from an
// equal plain object and a Uint8Array apart from a list of numbers; text
// includes its formatting and embeds, which its JSON form drops.
function canonical(value: unknown): unknown {
  if (value instanceof Y.AbstractType) {
    const kind = sharedTypeKind(value) ?? 'type';
    if (value instanceof Y.Text) {
      return [
        kind,
        canonical(value.getAttributes()),
        normalizedDelta(value).map((op) => [canonical(op.insert), canonical(op.attributes)]),
      ];
    }
    if (value instanceof Y.Map) return [kind, canonical(Object.fromEntries(value.entries()))];
    if (value instanceof Y.XmlElement) return [kind, canonical(value.getAttributes()), value.toArray().map(canonical)];
    if (value instanceof Y.Array || value instanceof Y.XmlFragment) return [kind, value.toArray().map(canonical)];
    return [kind, value.toJSON()];
  }
  if (value instanceof Y.Doc) return ['doc', value.guid];
  if (value instanceof Uint8Array) return ['bytes', Buffer.from(value).toString('base64')];
  if (Array.isArray(value)) return ['list', value.map(canonical)];
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return [
      'obj',
      Object.keys(record)
        .sort()
        .map((k) => [k, canonical(record[k])]),
    ];
  }
  return value === undefined ? ['undefined'] : value;
}

/**
 * A string that is equal for two values exactly when their content is equal
 * (shared types compared by content, not identity, formatting included), so
 * it can be used both for equality and as a diff key.
 */
export function contentKey(value: unknown): string {
  return JSON.stringify(canonical(value));
}
