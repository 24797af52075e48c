// An in-memory Store for IPAM tests: the contract's semantics (atomic create, compare-and-swap by
// revision, leases that delete their keys) with an optional random yield before every operation,
// so concurrent callers interleave in many orders. Not a backend: no watches.

import { LeaseLostError, type KeyValue, type Lease, type Listing, type PutOptions, type Store, type Watch } from '../../src/store/store.js';

interface Entry {
  value: string;
  revision: number;
  lease?: string;
}

export interface MemoryStoreOptions {
  /** Yield to the event loop 0..jitter times before each operation. */
  readonly jitter?: number;
  /** Seeded choice of how long to yield; defaults to Math.random. */
  readonly random?: () => number;
}

export function memoryStore(opts: MemoryStoreOptions = {}) {
  const data = new Map<string, Entry>();
  const leases = new Set<string>();
  let revision = 0;
  let nextLease = 1;
  const random = opts.random ?? Math.random;

  const pause = async () => {
    const turns = Math.floor(random() * ((opts.jitter ?? 0) + 1));
    for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
  };
  const kv = (key: string, e: Entry): KeyValue => ({ key, value: e.value, revision: e.revision, ...(e.lease ? { lease: e.lease } : {}) });
  const put = (key: string, value: string, o?: PutOptions): KeyValue => {
    const lease = o?.lease?.id;
    if (lease !== undefined && !leases.has(lease)) throw new LeaseLostError(lease, 'revoked');
    const e: Entry = { value, revision: ++revision, ...(lease ? { lease } : {}) };
    data.set(key, e);
    return kv(key, e);
  };

  const store = {
    description: 'memory',
    async get(key: string): Promise<KeyValue | undefined> {
      await pause();
      const e = data.get(key);
      return e && kv(key, e);
    },
    async list(prefix: string): Promise<Listing> {
      await pause();
      const items = [...data.entries()].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return { items: items.map(([k, e]) => kv(k, e)), revision };
    },
    async create(key: string, value: string, o?: PutOptions): Promise<KeyValue | undefined> {
      await pause();
      return data.has(key) ? undefined : put(key, value, o);
    },
    async createAll(entries: readonly { key: string; value: string }[], o?: PutOptions): Promise<KeyValue[] | undefined> {
      await pause();
      if (entries.some((e) => data.has(e.key))) return undefined;
      return entries.map((e) => put(e.key, e.value, o));
    },
    async compareAndSwap(key: string, value: string, rev: number, o?: PutOptions): Promise<KeyValue | undefined> {
      await pause();
      return data.get(key)?.revision === rev ? put(key, value, o) : undefined;
    },
    async delete(key: string, rev?: number): Promise<boolean> {
      await pause();
      const e = data.get(key);
      if (!e || (rev !== undefined && e.revision !== rev)) return false;
      data.delete(key);
      revision++;
      return true;
    },
    async watch(): Promise<Watch> {
      throw new Error('memoryStore has no watches');
    },
    async grantLease(ttlSeconds: number): Promise<Lease> {
      const id = String(nextLease++);
      leases.add(id);
      return {
        id,
        ttlSeconds,
        async keepAliveOnce() {
          if (!leases.has(id)) throw new LeaseLostError(id);
        },
        async revoke() {
          leases.delete(id);
          for (const [k, e] of data) if (e.lease === id) data.delete(k);
          revision++;
        },
        onLost: () => () => {},
      };
    },
    async close(): Promise<void> {},
  } satisfies Store;
  return store;
}
