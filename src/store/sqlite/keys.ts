// Keys as SQLite sees them (full keys, root included) and as callers see them (relative).
// Prefix queries are index ranges: SQLite compares TEXT as UTF-8 bytes, which is code-point
// order, so "every key starting with p" is exactly the range [p, prefixEnd(p)).
import type { KeyValue } from '../store.js';

export interface KeyRange {
  readonly from: string;
  readonly to: string;
}

export function rangeOf(prefix: string): KeyRange {
  const to = prefixEnd(prefix);
  // Only reachable with an empty root and prefix, or a prefix made of U+10FFFF characters.
  if (to === undefined) throw new Error(`cannot make a key range for prefix ${JSON.stringify(prefix)}`);
  return { from: prefix, to };
}

/** The smallest string greater than every string that starts with `prefix`, if there is one. */
export function prefixEnd(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (c) => c.codePointAt(0) as number);
  while (codePoints.length > 0) {
    const last = codePoints.pop() as number;
    if (last < 0x10ffff) {
      // Skip the surrogate block: those code points cannot appear in UTF-8 text.
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return String.fromCodePoint(...codePoints, next);
    }
  }
  return undefined;
}

/** A kv row as the contract sees it: the key relative to the store's root. */
export function toKeyValue(
  row: { readonly key: string; readonly value: string; readonly revision: number; readonly lease: number | null },
  root: string,
): KeyValue {
  const kv = { key: row.key.slice(root.length), value: row.value, revision: row.revision };
  return row.lease === null ? kv : { ...kv, lease: String(row.lease) };
}
