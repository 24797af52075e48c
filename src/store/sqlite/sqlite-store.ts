// The embedded Store: one SQLite file shared by every weftd on the machine (DESIGN.md "Store").
//
// - Every write is one BEGIN IMMEDIATE transaction that bumps the store-wide revision and logs
//   the change (once per key it changes: createAll), so revisions commit in order across processes.
// - Watches learn of other processes' writes by one short poll per store instance: a cheap
//   `PRAGMA data_version` check, then one read of the log for all watches.
// - The log keeps the last `logRetention` revisions. A running watch that falls behind it
//   (its process was paused while others wrote) resyncs from the current state (watch.ts); a
//   watch asked to start before it is refused with WatchCompactedError, and the caller relists.
// - Leases live in the file; every instance sweeps expired ones, deleting their keys (with
//   delete events) in the same transaction. A closed or crashed process's leases simply expire.
//
// better-sqlite3 is synchronous, so each method does its SQL in one go; waiting for another
// process's lock happens in an asynchronous retry loop, never as a long synchronous wait.
import { setTimeout as sleep } from 'node:timers/promises';
import { resolve } from 'node:path';
import {
  LeaseLostError, StoreUnavailableError,
  type GrantOptions, type KeyValue, type Lease, type Listing, type NewEntry, type PutOptions, type Store, type Watch,
  type WatchOptions,
} from '../store.js';
import { requireDistinctKeys } from '../common/entries.js';
import { rangeOf, toKeyValue, type KeyRange } from './keys.js';
import { SqliteLease, type LeaseBackend } from './lease.js';
import { openDatabase, type Db } from './schema.js';
import { Tables, type ChangeRow, type KvRow, type MetaRow } from './tables.js';
import { SqliteWatch } from './watch.js';

export interface SqliteStoreOptions {
  /** Prepended to every key; callers use keys relative to it. Default 'weft/v1/'. */
  readonly root?: string;
  /** How often watches look for changes written by other processes. Default 5 ms. */
  readonly pollMs?: number;
  /** How often this instance deletes expired leases and their keys. Default 500 ms. */
  readonly sweepMs?: number;
  /** How many revisions the change log keeps for watches to resume from. Default 10,000. */
  readonly logRetention?: number;
}

/** A watch asked to start before the oldest revision the change log still holds. */
export class WatchCompactedError extends Error {
  constructor(description: string, fromRevision: number, compacted: number) {
    super(`cannot watch ${description} from revision ${fromRevision}: its change log starts after revision ` +
      `${compacted}; list again and watch from the listing's revision`);
    this.name = 'WatchCompactedError';
  }
}

const DEFAULTS = { root: 'weft/v1/', pollMs: 5, sweepMs: 500, logRetention: 10_000 };
/** How long an operation waits, in total, for other processes to release the write lock. */
const LOCK_WAIT_MS = 5_000;
/** How long the poll may keep failing on a busy file before watches are told they broke. */
const POLL_FAILURE_MS = 10_000;

export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<Store> {
  const file = resolve(path);
  const description = `sqlite://${file}`;
  const settings = {
    root: opts.root ?? DEFAULTS.root,
    pollMs: opts.pollMs ?? DEFAULTS.pollMs,
    sweepMs: opts.sweepMs ?? DEFAULTS.sweepMs,
    logRetention: opts.logRetention ?? DEFAULTS.logRetention,
  };
  if (settings.root === '') throw new Error(`${description}: the key root must not be empty`);
  for (const name of ['pollMs', 'sweepMs', 'logRetention'] as const) {
    if (!(settings[name] > 0)) throw new RangeError(`${description}: ${name} must be positive, got ${settings[name]}`);
  }
  // Many weftds may start at once on a new file: the schema transaction waits its turn.
  const db = await retryWhileBusy(() => openDatabase(file), description);
  return new SqliteStore(db, description, settings);
}

class SqliteStore implements Store {
  private readonly tables: Tables;
  private readonly root: string;
  private readonly rootRange: KeyRange;
  private readonly watches = new Set<SqliteWatch>();
  private readonly leases = new Map<number, SqliteLease>();
  private readonly leaseBackend: LeaseBackend;
  private readonly sweepTimer: NodeJS.Timeout;
  private pollTimer: NodeJS.Timeout | undefined;
  /** The store revision every watch has been brought up to. */
  private polled = 0;
  /** Changes when another connection commits; our own commits set `wrote` instead. */
  private dataVersion = -1;
  private wrote = false;
  private pollFailingSince: number | undefined;
  private closed = false;

  constructor(
    private readonly db: Db,
    readonly description: string,
    private readonly settings: Required<SqliteStoreOptions>,
  ) {
    this.tables = new Tables(db, settings.logRetention);
    this.root = settings.root;
    this.rootRange = rangeOf(this.root);
    this.leaseBackend = {
      refresh: (id) => this.write((now) => {
        this.tables.requireLease(id, now);
        this.tables.refreshLease(id, now);
      }),
      revoke: (id) => this.write(() => this.tables.dropLease(id)),
      release: (lease) => this.leases.delete(lease.numericId),
    };
    // unref: sweeping is a duty while the process runs, never a reason to keep it running.
    this.sweepTimer = setInterval(() => void this.sweep(), settings.sweepMs).unref();
    void this.sweep();
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const row = await this.read(() => this.tables.get(this.root + key));
    return row && toKeyValue(row, this.root);
  }

  async list(prefix: string): Promise<Listing> {
    const range = rangeOf(this.root + prefix);
    const { meta, rows } = await this.read(() => ({ meta: this.tables.meta(), rows: this.tables.range(range) }));
    return { items: rows.map((row) => toKeyValue(row, this.root)), revision: meta.revision };
  }

  async create(key: string, value: string, opts?: PutOptions): Promise<KeyValue | undefined> {
    return this.put(key, value, opts, (current) => current === undefined);
  }

  /**
   * One transaction: each key gets the next revision in the order given (every change has a
   * revision and a log row of its own), so watches see one put per key, in order, exactly as
   * for the same creates made one by one.
   */
  async createAll(entries: readonly NewEntry[], opts?: PutOptions): Promise<KeyValue[] | undefined> {
    requireDistinctKeys(entries);
    if (entries.length === 0) return [];
    const full = entries.map((e) => ({ key: this.root + e.key, value: e.value }));
    const rows = await this.underLease(opts?.lease, (now, leaseId) => {
      if (leaseId !== null) this.tables.requireLease(leaseId, now);
      if (full.some((e) => this.tables.get(e.key) !== undefined)) return undefined;
      return full.map((e) => this.tables.put(e.key, e.value, leaseId));
    });
    return rows?.map((row) => toKeyValue(row, this.root));
  }

  /** As etcd: a swap without a lease detaches the key from any lease it had. */
  async compareAndSwap(key: string, value: string, revision: number, opts?: PutOptions): Promise<KeyValue | undefined> {
    return this.put(key, value, opts, (current) => current?.revision === revision);
  }

  async delete(key: string, revision?: number): Promise<boolean> {
    const full = this.root + key;
    return this.write(() => {
      const current = this.tables.get(full);
      if (current === undefined || (revision !== undefined && current.revision !== revision)) return false;
      this.tables.remove(full);
      return true;
    });
  }

  async watch(prefix: string, opts: WatchOptions): Promise<Watch> {
    const full = this.root + prefix;
    const range = rangeOf(full);
    const { meta, backlog, known } = await this.read(() => {
      const meta = this.tables.meta();
      if (opts.fromRevision < meta.compacted) {
        // Resuming from here would silently skip the trimmed changes: make the caller relist.
        throw new WatchCompactedError(this.description, opts.fromRevision, meta.compacted);
      }
      return { meta, backlog: this.tables.changesSince(opts.fromRevision, range), known: this.tables.keysIn(range) };
    });
    const watch = new SqliteWatch(
      { prefix: full, root: this.root, floor: opts.fromRevision, cursor: meta.revision, known, backlog },
      opts,
      (w) => this.detach(w),
    );
    // No other watch to keep in step: start the shared poll where this one stands.
    if (this.watches.size === 0) this.polled = meta.revision;
    this.watches.add(watch);
    // Ref'd while watches exist: an open watch keeps the process alive, as a socket would.
    this.pollTimer ??= setInterval(() => this.poll(), this.settings.pollMs);
    return watch;
  }

  async grantLease(ttlSeconds: number, opts?: GrantOptions): Promise<Lease> {
    if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
      throw new RangeError(`${this.description}: lease ttl must be a positive number of seconds, got ${ttlSeconds}`);
    }
    const id = await this.write((now) => this.tables.grantLease(ttlSeconds, now));
    const lease = new SqliteLease(id, ttlSeconds, this.leaseBackend, opts?.keepAlive ?? true);
    this.leases.set(id, lease);
    return lease;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    clearInterval(this.pollTimer);
    for (const lease of this.leases.values()) lease.stop();
    for (const watch of [...this.watches]) await watch.close();
    this.db.close();
  }

  private async put(
    key: string, value: string, opts: PutOptions | undefined, allowed: (current: KvRow | undefined) => boolean,
  ): Promise<KeyValue | undefined> {
    const full = this.root + key;
    const row = await this.underLease(opts?.lease, (now, leaseId) => {
      if (leaseId !== null) this.tables.requireLease(leaseId, now);
      return allowed(this.tables.get(full)) ? this.tables.put(full, value, leaseId) : undefined;
    });
    return row && toKeyValue(row, this.root);
  }

  /** One write transaction under `lease` (if any); a write that finds the lease gone marks it lost. */
  private async underLease<T>(lease: Lease | undefined, txn: (now: number, leaseId: number | null) => T): Promise<T> {
    const leaseId = this.leaseIdOf(lease);
    try {
      return await this.write((now) => txn(now, leaseId));
    } catch (err) {
      if (err instanceof LeaseLostError && leaseId !== null) this.leases.get(leaseId)?.markLost(err);
      throw err;
    }
  }

  private leaseIdOf(lease: Lease | undefined): number | null {
    if (lease === undefined) return null;
    const id = Number(lease.id);
    if (!Number.isSafeInteger(id) || id <= 0) throw new LeaseLostError(lease.id, `not a lease of ${this.description}`);
    return id;
  }

  private detach(watch: SqliteWatch): void {
    this.watches.delete(watch);
    if (this.watches.size === 0) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  /** One read of the log for every watch; a no-op unless some connection committed. */
  private poll(): void {
    const watches = [...this.watches];
    let found: { meta: MetaRow; rows: ChangeRow[]; gaps: Map<SqliteWatch, KvRow[]> } | undefined;
    try {
      const version = this.db.pragma('data_version', { simple: true }) as number;
      if (version === this.dataVersion && !this.wrote) return;
      this.wrote = false;
      found = this.db.transaction(() => {
        const meta = this.tables.meta();
        if (meta.revision === this.polled) return undefined;
        const rows = this.tables.changesSince(this.polled, this.rootRange);
        const gaps = new Map<SqliteWatch, KvRow[]>();
        for (const w of watches) if (w.missed(meta.compacted)) gaps.set(w, this.tables.range(rangeOf(w.prefix)));
        return { meta, rows, gaps };
      }).deferred();
      this.dataVersion = version;
      this.pollFailingSince = undefined;
    } catch (err) {
      this.wrote = true; // look again next tick
      this.pollFailed(err);
      return;
    }
    if (found === undefined) return;
    const { meta, rows, gaps } = found;
    this.polled = meta.revision;
    for (const w of watches) {
      const current = gaps.get(w);
      if (current) w.resync(current, meta.revision);
      else w.offer(rows, meta.revision);
    }
  }

  private pollFailed(err: unknown): void {
    const now = Date.now();
    this.pollFailingSince ??= now;
    const error = translate(err, this.description);
    if (error instanceof StoreUnavailableError && now - this.pollFailingSince < POLL_FAILURE_MS) return;
    for (const w of [...this.watches]) w.fail(error instanceof Error ? error : new Error(String(error)));
  }

  private async sweep(): Promise<void> {
    try {
      // Checked without the write lock, so idle instances never contend for it.
      if (this.closed || !this.tables.anyExpiredLease(Date.now())) return;
      const dropped = await this.write((now) => {
        const ids = this.tables.expiredLeases(now);
        for (const id of ids) this.tables.dropLease(id);
        return ids;
      });
      for (const id of dropped) this.leases.get(id)?.markLost(new LeaseLostError(String(id), 'expired'));
    } catch (err) {
      // Another instance will sweep, or we will next time; anything else is a real fault.
      if (!(err instanceof StoreUnavailableError) && !isBusy(err)) throw err;
    }
  }

  private read<T>(fn: () => T): Promise<T> {
    return this.withRetry(() => this.db.transaction(fn).deferred());
  }

  private write<T>(fn: (now: number) => T): Promise<T> {
    return this.withRetry(() => {
      const result = this.db.transaction(() => fn(Date.now())).immediate();
      this.wrote = true;
      return result;
    });
  }

  private withRetry<T>(op: () => T): Promise<T> {
    return retryWhileBusy(() => {
      if (this.closed) throw new StoreUnavailableError(this.description, new Error('the store was closed'));
      return op();
    }, this.description);
  }
}

async function retryWhileBusy<T>(op: () => T, description: string): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return op();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw translate(err, description);
    }
    await sleep(backoffMs(attempt));
  }
}

/** Full jitter, growing to 50 ms: contenders spread out instead of colliding again. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(50, 2 ** attempt);
}

function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** Another connection holds a lock: waiting helps. */
function isBusy(err: unknown): boolean {
  const code = sqliteCode(err);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** SQLite failures a caller can only wait out become StoreUnavailableError; the rest pass. */
function translate(err: unknown, description: string): unknown {
  const code = sqliteCode(err);
  const transient = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL'];
  if (code !== undefined && transient.some((prefix) => code.startsWith(prefix))) {
    return new StoreUnavailableError(description, err);
  }
  return err;
}
