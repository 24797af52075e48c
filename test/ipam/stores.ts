// The stores the IPAM and VNI suites run against: the in-memory one (with interleaving) and the
// real embedded SQLite backend on a temporary file. Each maker returns the store and a cleanup.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import { memoryStore } from './memory-store.js';

export interface TestStore {
  readonly store: Store;
  /** Another client of the same data, as a second host or process would be (same object for memory). */
  readonly peer: () => Promise<Store>;
  readonly cleanup: () => Promise<void>;
}

export type StoreMaker = () => Promise<TestStore>;

export const makers: Record<string, StoreMaker> = {
  memory: async () => {
    const store = memoryStore({ jitter: 3 });
    return { store, peer: async () => store, cleanup: async () => {} };
  },
  sqlite: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-ipam-'));
    const path = join(dir, 'cluster.db');
    const opened: Store[] = [await openSqliteStore(path)];
    return {
      store: opened[0]!,
      peer: async () => {
        const s = await openSqliteStore(path);
        opened.push(s);
        return s;
      },
      cleanup: async () => {
        for (const s of opened) await s.close().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-ipam-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
