/**
 * The edit script between two lists of keys, for patching a Y.Array in place instead of
 * replacing it.
 */

// Above this many LCS table cells we fall back to replacing the whole changed
// middle of an array; 4M cells = 16 MB of Uint32, fine for a server.
const LCS_CELL_LIMIT = 4_000_000;

/**
 * Edit script turning `a` into `b`: common prefix/suffix, then an LCS on the
 * middle ('=' keep, '-' delete from a, '+' insert from b).
 */
export function diffKeys(a: string[], b: string[]): string[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const ma = a.slice(pre, a.length - suf);
  const mb = b.slice(pre, b.length - suf);
  const n = ma.length;
  const m = mb.length;
  const ops: string[] = new Array(pre).fill('=');
  if ((n + 1) * (m + 1) > LCS_CELL_LIMIT) {
    ops.push(...new Array(n).fill('-'), ...new Array(m).fill('+'));
  } else {
    // lcs[i * (m + 1) + j] = LCS length of ma[i..] and mb[j..]
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * (m + 1) + j] =
          ma[i] === mb[j]
            ? lcs[(i + 1) * (m + 1) + j + 1] + 1
            : Math.max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && ma[i] === mb[j]) {
        ops.push('=');
        i++;
        j++;
      } else if (j >= m || (i < n && lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1])) {
        ops.push('-');
        i++;
      } else {
        ops.push('+');
        j++;
      }
    }
  }
  ops.push(...new Array(suf).fill('='));
  return ops;
}
