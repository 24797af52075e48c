// Opener module for the conformance suite's child processes (StoreFactory.module).
import { openSqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';

export interface SqliteTestConfig extends SqliteStoreOptions {
  readonly path: string;
}

export function openStore(config: SqliteTestConfig): Promise<Store> {
  const { path, ...opts } = config;
  return openSqliteStore(path, opts);
}
