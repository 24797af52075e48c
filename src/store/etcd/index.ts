// The etcd v3 backend: `etcd://h1:2379[,h2:2379]/prefix`.
export { openEtcdStore, describeEtcd, type EtcdStoreOptions } from './etcd-store.js';
export { WatchCompactedError } from '../common/resync.js';
