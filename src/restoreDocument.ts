/**
 * Restore a live Y.Doc to a snapshot's content with a FORWARD edit.
 *
 * Swapping the stored bytes for the snapshot does not work with a CRDT: every
 * connected or offline client still holds the newer items and merges them
 * straight back. Instead we diff the live content against the snapshot and
 * apply the difference as ordinary operations (deletes + inserts) in one
 * transaction. Deletions are CRDT operations themselves, so any replica that
 * later receives this update, however stale, drops the removed content too.
 *
 * The diff tries to touch as little as possible so that edits made
 * concurrently (by people still drawing during the restore) survive: equal map
 * values and array elements are left alone, and same-kind nested types are
 * patched in place rather than replaced.
 */
import * as Y from 'yjs';
import {
  contentKey as keyOf,
  getTopLevel,
  inferTopLevelKinds,
  sharedTypeKind as nodeKind,
  type DeltaOp,
} from './documentContent.ts';
import { cloneValue } from './cloneValue.ts';
import { diffKeys } from './diffKeys.ts';
import { ConflictError } from './errors.ts';

type YType = Y.AbstractType<any>;
type Attrs = Record<string, unknown>;

// Structural view shared by Y.Array and Y.XmlFragment (and, for length and
// delete only, Y.Text); their typed `insert` signatures differ, which makes
// calling through the union awkward.
interface ListLike {
  length: number;
  toArray(): unknown[];
  delete(index: number, length: number): void;
  insert(index: number, content: unknown[]): void;
}

/**
 * Edits `live` until it deep-equals `target`; both must have the same
 * `nodeKind`. Every helper below only writes where `keyOf` differs, so equal
 * content produces no operations.
 */
function patchSameKind(live: YType, target: YType): void {
  if (live instanceof Y.Text) {
    patchAttrs(live, target as Y.Text);
    patchText(live, target as Y.Text);
  } else if (live instanceof Y.Map) {
    patchMap(live, target as Y.Map<unknown>);
  } else if (live instanceof Y.Array || live instanceof Y.XmlFragment) {
    if (live instanceof Y.XmlElement) patchAttrs(live, target as Y.XmlElement);
    patchList(live, target as Y.Array<unknown>);
  }
}

/** Whether a slot (map value, attribute, list position) can stay, be patched in place, or must be replaced. */
function sameOrPatchable(live: unknown, target: unknown): 'equal' | 'patch' | 'replace' {
  const kind = nodeKind(live);
  if (kind !== null && kind === nodeKind(target)) return 'patch';
  return keyOf(live) === keyOf(target) ? 'equal' : 'replace';
}

// Attributes of XmlElement / XmlText (a small key-value map on the type).
function patchAttrs(live: Y.Text | Y.XmlElement, target: Y.Text | Y.XmlElement): void {
  const cur: Attrs = live.getAttributes();
  const want: Attrs = target.getAttributes();
  const el = live as Y.Text; // both classes share this method shape
  for (const k of Object.keys(cur)) if (!(k in want)) el.removeAttribute(k);
  for (const [k, v] of Object.entries(want)) {
    if (!(k in cur) || keyOf(cur[k]) !== keyOf(v)) el.setAttribute(k, cloneValue(v));
  }
}

function patchMap(live: Y.Map<unknown>, target: Y.Map<unknown>): void {
  for (const key of [...live.keys()]) if (!target.has(key)) live.delete(key);
  for (const [key, want] of target.entries()) {
    if (live.has(key)) {
      const cur = live.get(key);
      const how = sameOrPatchable(cur, want);
      if (how === 'equal') continue;
      if (how === 'patch') {
        patchSameKind(cur as YType, want as YType);
        continue;
      }
    }
    live.set(key, cloneValue(want));
  }
}

// Y.Array or Y.XmlFragment children. Inside each changed hunk, deleted and
// inserted elements are paired by position; a pair of the same nested kind
// (say two Y.Map shape records) is patched in place, so concurrent edits to
// the untouched fields of that record survive.
function patchList(liveType: Y.Array<unknown> | Y.XmlFragment, targetType: Y.Array<unknown> | Y.XmlFragment): void {
  const live = liveType as unknown as ListLike;
  const cur = live.toArray();
  const want = (targetType as unknown as ListLike).toArray();
  let pos = 0; // live index of the next current element not yet handled
  let dels: unknown[] = [];
  let ins: unknown[] = [];
  const applyHunk = () => {
    let pendingDel = 0;
    let pendingIns: unknown[] = [];
    const flush = () => {
      if (pendingDel > 0) live.delete(pos, pendingDel);
      if (pendingIns.length > 0) live.insert(pos, pendingIns);
      pos += pendingIns.length;
      pendingDel = 0;
      pendingIns = [];
    };
    for (let n = 0; n < Math.max(dels.length, ins.length); n++) {
      if (n < dels.length && n < ins.length && sameOrPatchable(dels[n], ins[n]) === 'patch') {
        flush();
        patchSameKind(dels[n] as YType, ins[n] as YType);
        pos++;
        continue;
      }
      if (n < dels.length) pendingDel++;
      if (n < ins.length) pendingIns.push(cloneValue(ins[n]));
    }
    flush();
    dels = [];
    ins = [];
  };
  let i = 0;
  let j = 0;
  for (const op of diffKeys(cur.map(keyOf), want.map(keyOf))) {
    if (op === '-') dels.push(cur[i++]);
    else if (op === '+') ins.push(want[j++]);
    else {
      applyHunk();
      pos++;
      i++;
      j++;
    }
  }
  applyHunk();
}

interface TextUnit {
  key: string; // content + formatting, for the prefix/suffix match
  content: string; // content only, to detect formatting-only changes
  insert: unknown; // one code point, or an embed
  len: number;
  attrs: Attrs;
}

// Split by code point (not UTF-16 unit) so a diff boundary never cuts a
// surrogate pair, which Yjs would turn into U+FFFD.
function textUnits(text: Y.Text): TextUnit[] {
  const units: TextUnit[] = [];
  for (const op of text.toDelta() as DeltaOp[]) {
    const attrs = op.attributes ?? {};
    const attrKey = keyOf(attrs);
    const parts = typeof op.insert === 'string' ? Array.from(op.insert) : [op.insert];
    for (const p of parts) {
      const content = typeof p === 'string' ? `s${p}` : `e${keyOf(p)}`;
      units.push({
        key: `${content}\u0000${attrKey}`,
        content,
        insert: p,
        len: typeof p === 'string' ? p.length : 1,
        attrs,
      });
    }
  }
  return units;
}

function patchText(live: Y.Text, target: Y.Text): void {
  const cur = textUnits(live);
  const want = textUnits(target);
  let pre = 0;
  while (pre < cur.length && pre < want.length && cur[pre].key === want[pre].key) pre++;
  let suf = 0;
  while (
    suf < cur.length - pre &&
    suf < want.length - pre &&
    cur[cur.length - 1 - suf].key === want[want.length - 1 - suf].key
  )
    suf++;
  const curMid = cur.slice(pre, cur.length - suf);
  const wantMid = want.slice(pre, want.length - suf);
  if (curMid.length === 0 && wantMid.length === 0) return;
  let index = cur.slice(0, pre).reduce((s, u) => s + u.len, 0);
  const sameContent = curMid.length === wantMid.length && curMid.every((u, n) => u.content === wantMid[n].content);
  if (sameContent) {
    // Formatting-only change: re-format instead of re-typing, so the text
    // items (and anybody's cursor anchored on them) stay. Runs of units that
    // need the same change are formatted with one call.
    const changes = curMid.map((u, n) => {
      const to = wantMid[n].attrs;
      const change: Attrs = {};
      for (const k of Object.keys(u.attrs)) if (!(k in to)) change[k] = null;
      for (const [k, v] of Object.entries(to)) if (keyOf(u.attrs[k]) !== keyOf(v)) change[k] = v;
      return { change, key: keyOf(change), len: u.len };
    });
    for (let n = 0; n < changes.length;) {
      const { change, key } = changes[n];
      let len = 0;
      for (; n < changes.length && changes[n].key === key; n++) len += changes[n].len;
      if (Object.keys(change).length > 0) live.format(index, len, change);
      index += len;
    }
    return;
  }
  const delLen = curMid.reduce((s, u) => s + u.len, 0);
  if (delLen > 0) live.delete(index, delLen);
  for (let n = 0; n < wantMid.length;) {
    const u = wantMid[n];
    // An explicit attributes object (even {}) stops Yjs from inheriting the
    // formatting of the character to the left.
    if (typeof u.insert !== 'string') {
      live.insertEmbed(index, cloneValue(u.insert) as object, { ...u.attrs });
      index += 1;
      n++;
      continue;
    }
    let str = '';
    const attrKey = keyOf(u.attrs);
    for (; n < wantMid.length && typeof wantMid[n].insert === 'string' && keyOf(wantMid[n].attrs) === attrKey; n++) {
      str += wantMid[n].insert as string;
    }
    live.insert(index, str, { ...u.attrs });
    index += str.length;
  }
}

function clearType(type: YType): void {
  if (type instanceof Y.Map) for (const k of [...type.keys()]) type.delete(k);
  else (type as unknown as ListLike).delete(0, (type as unknown as ListLike).length);
}

/**
 * Turns `doc`'s content into `target`'s (a full state update or a doc) with one
 * transaction carrying `origin`. Top-level names only in `doc` are emptied,
 * names only in `target` are created. `changed: false` means no operation was
 * made and no 'update' event fired.
 */
export function restoreDocument(doc: Y.Doc, target: Uint8Array | Y.Doc, origin?: unknown): { changed: boolean } {
  const targetDoc = target instanceof Y.Doc ? target : new Y.Doc();
  if (!(target instanceof Y.Doc)) Y.applyUpdate(targetDoc, target);
  try {
    const have = inferTopLevelKinds(doc);
    const want = inferTopLevelKinds(targetDoc);
    // Checked before the transaction so a mismatch leaves the doc untouched:
    // Yjs cannot change the kind of an existing top-level type.
    for (const [name, kind] of want) {
      const liveKind = have.get(name);
      if (liveKind !== undefined && liveKind !== kind) {
        throw new ConflictError(
          `"${name}" is a ${liveKind} in the live document but a ${kind} in the snapshot; Yjs cannot change the kind of a top-level type`,
          'restore_conflict',
        );
      }
    }
    // Decide what differs before opening a transaction, so an equal document
    // sees no transaction at all (not even an empty one).
    const toClear: YType[] = [];
    for (const [name, kind] of have) {
      const type = getTopLevel(doc, name, kind);
      const size = type instanceof Y.Map ? type.size : (type as unknown as ListLike).length;
      if (!want.has(name) && size > 0) toClear.push(type);
    }
    const toPatch: Array<[YType, YType]> = [];
    for (const [name, kind] of want) {
      const pair: [YType, YType] = [getTopLevel(doc, name, kind), getTopLevel(targetDoc, name, kind)];
      if (keyOf(pair[0]) !== keyOf(pair[1])) toPatch.push(pair);
    }
    if (toClear.length === 0 && toPatch.length === 0) return { changed: false };
    doc.transact(() => {
      toClear.forEach(clearType);
      for (const [live, wanted] of toPatch) patchSameKind(live, wanted);
    }, origin);
    return { changed: true };
  } finally {
    if (targetDoc !== target) targetDoc.destroy();
  }
}
