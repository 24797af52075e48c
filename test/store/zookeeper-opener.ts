// Opener module for the conformance suite's child processes (StoreFactory.module).
import type { Store } from '../../src/store/store.js';
import { openZooKeeperStore, type ZooKeeperStoreOptions } from '../../src/store/zookeeper/index.js';

export type ZooKeeperTestConfig = ZooKeeperStoreOptions;

export function openStore(config: ZooKeeperTestConfig): Promise<Store> {
  return openZooKeeperStore(config);
}
