// Keys as etcd sees them: bytes under the keyspace (URL prefix + root), ranges by byte order.
import type { IKeyValue } from 'etcd3';
import type { KeyValue } from '../store.js';

export interface ByteRange {
  readonly key: Buffer;
  readonly range_end: Buffer;
}

/** Every key starting with `prefix`: [prefix, prefix with its last non-0xff byte incremented). */
export function prefixRange(prefix: Buffer): ByteRange {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return { key: prefix, range_end: end.subarray(0, i + 1) };
    }
  }
  // An empty (or all-0xff) prefix: "\0" as range_end means "to the end of the keyspace".
  return { key: prefix.length === 0 ? Buffer.from([0]) : prefix, range_end: Buffer.from([0]) };
}

export const revisionOf = (text: string): number => Number(text);

export function toKeyValue(kv: IKeyValue, keyspace: string): KeyValue {
  const out = {
    key: kv.key.toString('utf8').slice(keyspace.length),
    value: kv.value.toString('utf8'),
    revision: revisionOf(kv.mod_revision),
  };
  return kv.lease && kv.lease !== '0' ? { ...out, lease: kv.lease } : out;
}
