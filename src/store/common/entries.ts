// Checks on the entries of a multi-key write (Store.createAll), shared by every backend so they
// all refuse the same mistakes the same way, before anything is sent.
import type { NewEntry } from '../store.js';

/**
 * Throws a plain Error if a key is given twice: the caller's bug, not the store's answer. Left
 * to the backends it would come back as "exists" from some (ZooKeeper, Consul) and as a refused
 * request from others (etcd).
 */
export function requireDistinctKeys(entries: readonly NewEntry[]): void {
  const seen = new Set<string>();
  for (const { key } of entries) {
    if (seen.has(key)) throw new Error(`createAll: key ${JSON.stringify(key)} is given more than once`);
    seen.add(key);
  }
}
