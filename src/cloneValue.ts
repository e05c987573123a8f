/**
 * Deep copies of Yjs values for inserting into another document (a restore copies the
 * snapshot's content into the live board).
 */
import * as Y from 'yjs';
import type { DeltaOp } from './documentContent.ts';

/**
 * Deep copy of a value so it can be inserted into another doc. The built-in
 * `.clone()` methods are deep in yjs 13.6, but reuse XmlElement attribute
 * values and text embeds by reference, and re-integrating a Y type that already
 * lives in a doc fails; this version copies those too, plus plain objects and
 * Uint8Arrays.
 */
export function cloneValue(v: unknown): unknown {
  if (v instanceof Y.Text) {
    const t = v instanceof Y.XmlText ? new Y.XmlText() : new Y.Text();
    for (const [k, a] of Object.entries(v.getAttributes())) t.setAttribute(k, cloneValue(a));
    t.applyDelta(
      (v.toDelta() as DeltaOp[]).map((op) => ({ insert: cloneValue(op.insert), attributes: { ...op.attributes } })),
    );
    return t;
  }
  if (v instanceof Y.Map) {
    const m: Y.Map<unknown> = v instanceof Y.XmlHook ? new Y.XmlHook(v.hookName) : new Y.Map();
    v.forEach((x, k) => m.set(k, cloneValue(x)));
    return m;
  }
  if (v instanceof Y.Array) return Y.Array.from(v.toArray().map(cloneValue) as never[]);
  if (v instanceof Y.XmlFragment) {
    const f = v instanceof Y.XmlElement ? new Y.XmlElement(v.nodeName) : new Y.XmlFragment();
    if (v instanceof Y.XmlElement && f instanceof Y.XmlElement) {
      for (const [k, a] of Object.entries(v.getAttributes())) f.setAttribute(k, cloneValue(a) as never);
    }
    f.insert(0, v.toArray().map(cloneValue) as never[]);
    return f;
  }
  // Subdocuments are references by guid; a fresh handle with the same guid is
  // the same subdocument to every client.
  if (v instanceof Y.Doc) return new Y.Doc({ guid: v.guid, meta: v.meta, shouldLoad: v.shouldLoad });
  if (v instanceof Uint8Array) return v.slice();
  if (Array.isArray(v)) return v.map(cloneValue);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cloneValue(x)]));
  }
  return v;
}
