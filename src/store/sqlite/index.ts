// The embedded backend: `sqlite:///path/cluster.db`.
export { openSqliteStore, WatchCompactedError, type SqliteStoreOptions } from './sqlite-store.js';
