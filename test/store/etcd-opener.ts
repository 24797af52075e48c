// Opener module for the conformance suite's child processes (StoreFactory.module).
import { openEtcdStore, type EtcdStoreOptions } from '../../src/store/etcd/index.js';
import type { Store } from '../../src/store/store.js';

export type EtcdTestConfig = EtcdStoreOptions;

export function openStore(config: EtcdTestConfig): Promise<Store> {
  return openEtcdStore(config);
}
