// The ZooKeeper backend: `zk://h1:2181[,h2:2181]/prefix`.
export { openZooKeeperStore, describeZooKeeper, type ZooKeeperStoreOptions } from './zk-store.js';
export { WatchCompactedError } from '../common/resync.js';
