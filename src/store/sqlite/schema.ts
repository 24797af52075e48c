// Opening the shared SQLite file: pragmas and schema. Every weftd on the machine opens the same
// file, possibly at the same moment, so everything here is safe to run concurrently and twice.
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** Bump when the tables change; a file written by a newer Weft is refused rather than misread. */
const SCHEMA_VERSION = 1;

// How long SQLite itself waits for another process's write lock before returning SQLITE_BUSY.
// Kept short because better-sqlite3 waits synchronously, stalling this daemon's event loop
// (DNS included); longer waits happen asynchronously in the store's retry loop instead.
export const BUSY_TIMEOUT_MS = 50;

const SCHEMA = `
  -- One row: the store-wide revision (bumped by every change) and the highest revision trimmed
  -- from the change log (watches can resume only from 'compacted' or later).
  CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL,
    compacted INTEGER NOT NULL
  );
  INSERT OR IGNORE INTO meta (id, revision, compacted) VALUES (1, 0, 0);

  -- Full keys (root included), so stores with different roots can share one file.
  CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    mod_revision INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    lease INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS kv_by_lease ON kv (lease) WHERE lease IS NOT NULL;

  -- One row per revision; feeds the watches of every process. Trimmed to the last N revisions.
  CREATE TABLE IF NOT EXISTS changes (
    revision INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('put', 'delete')),
    value TEXT,
    lease INTEGER
  );

  -- AUTOINCREMENT so a lease id is never reused, even after its row is swept: a stale Lease
  -- object must not refresh someone else's lease.
  CREATE TABLE IF NOT EXISTS leases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ttl REAL NOT NULL,          -- seconds
    expires_at INTEGER NOT NULL -- wall-clock ms: the only clock every process shares
  );
  CREATE INDEX IF NOT EXISTS leases_by_expiry ON leases (expires_at);
`;

/** Open (creating if needed) the store file in WAL mode with the current schema. */
export function openDatabase(path: string): Db {
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    // WAL lets readers (every watch poll) run while another process writes. Switching to WAL
    // is persistent in the file, and a no-op when another process already did it.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`cannot use WAL journal mode on ${path} (got ${String(mode)})`);
    // NORMAL is durable against process crashes in WAL mode; only a power loss can drop the
    // last commits, which the lease and revision design tolerates.
    db.pragma('synchronous = NORMAL');
    migrate(db, path);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: Db, path: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`${path} has store schema ${version}; this Weft understands up to ${SCHEMA_VERSION}`);
    }
    if (version === SCHEMA_VERSION) return;
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
