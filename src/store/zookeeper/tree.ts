// Reading every key under a prefix as one consistent snapshot, without ZooKeeper offering one.
//
// The first read's reply zxid R is the state the listing claims. Every later read is checked
// against it: a value node modified after R (mzxid > R), or a directory whose children changed
// after R (pzxid > R), or a node that vanished, means the tree moved while we read it, and the
// listing is read again. A listing that passes is exactly the state at R: each node we read was
// unchanged between R and the moment we read it. So `revision` is R, every item's revision is
// at most R, and a watch started from R misses nothing.
import type { KeyValue } from '../store.js';
import { childMatches, compareKeys, decodeName, isValueNode, type KeyPaths } from './paths.js';
import type { Children, NodeData } from './requests.js';
import { Code, ZkError, zxidOf, type Reply } from './session.js';

export interface TreeReader {
  children(path: string): Promise<Reply<Children>>;
  data(path: string): Promise<Reply<NodeData>>;
}

export interface Snapshot {
  readonly items: KeyValue[];
  readonly revision: number;
  /** False only if the tree kept changing under every attempt (see readSnapshot). */
  readonly consistent: boolean;
}

export function toKeyValue(key: string, node: NodeData): KeyValue {
  const kv = { key, value: node.data.toString('utf8'), revision: zxidOf(node.stat.mzxid) };
  const owner = node.stat.ephemeralOwner.toString('hex');
  return /^0+$/.test(owner) ? kv : { ...kv, lease: owner };
}

const isNoNode = (err: unknown) => err instanceof ZkError && err.code === Code.NO_NODE;

async function readOnce(reader: TreeReader, paths: KeyPaths, prefix: string): Promise<Snapshot> {
  const scope = paths.scope(prefix);
  let top: Reply<Children>;
  try {
    top = await reader.children(scope.dir);
  } catch (err) {
    if (isNoNode(err)) return { items: [], revision: (err as ZkError).zxid, consistent: true };
    throw err;
  }
  const at = top.zxid;
  let consistent = true;
  const items: KeyValue[] = [];
  let level = [{ dir: scope.dir, names: top.value.names.filter((n) => childMatches(n, scope.partial)), keyPrefix: scope.keyPrefix }];
  while (level.length > 0) {
    const next: typeof level = [];
    await Promise.all(level.flatMap(({ dir, names, keyPrefix }) => names.map(async (name) => {
      const path = `${dir}/${name}`;
      try {
        if (isValueNode(name)) {
          const node = await reader.data(path);
          if (zxidOf(node.value.stat.mzxid) > at) consistent = false;
          items.push(toKeyValue(keyPrefix + decodeName(name.slice(1)), node.value));
        } else {
          const sub = await reader.children(path);
          if (zxidOf(sub.value.stat.pzxid) > at) consistent = false;
          next.push({ dir: path, names: sub.value.names, keyPrefix: `${keyPrefix}${decodeName(name)}/` });
        }
      } catch (err) {
        if (!isNoNode(err)) throw err;
        consistent = false; // deleted since R
      }
    })));
    level = next;
  }
  items.sort((a, b) => compareKeys(a.key, b.key));
  return { items, revision: at, consistent };
}

/**
 * A consistent snapshot of the keys under `prefix`. If the prefix changes under every one of
 * `attempts` reads, the last read is returned with the revision of its start: still safe to
 * watch from (every change after it will be delivered), though some items may be newer.
 */
export async function readSnapshot(reader: TreeReader, paths: KeyPaths, prefix: string, attempts = 5): Promise<Snapshot> {
  for (let i = 1; ; i++) {
    const snap = await readOnce(reader, paths, prefix);
    if (snap.consistent || i >= attempts) return snap;
  }
}
