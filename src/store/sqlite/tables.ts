// The SQL, and nothing else: synchronous reads and the building blocks of write transactions.
// Callers (store.ts) decide transaction boundaries; every write method here must run inside
// one `BEGIN IMMEDIATE` transaction so a revision number, its kv row and its change-log row
// commit together, in revision order across all processes.
import { LeaseLostError } from '../store.js';
import type { KeyRange } from './keys.js';
import type { Db } from './schema.js';

export interface KvRow {
  readonly key: string;
  readonly value: string;
  /** The key's mod_revision. */
  readonly revision: number;
  readonly lease: number | null;
}

export interface ChangeRow {
  readonly revision: number;
  readonly key: string;
  readonly type: 'put' | 'delete';
  readonly value: string | null;
  readonly lease: number | null;
}

export interface MetaRow {
  /** The store-wide revision: that of the last change. */
  readonly revision: number;
  /** Changes up to and including this revision have been trimmed from the log. */
  readonly compacted: number;
}

export class Tables {
  private readonly sql;
  /** Trim in batches so the log is not rewritten on every single write. */
  private readonly trimBatch: number;

  constructor(db: Db, private readonly retention: number) {
    this.trimBatch = Math.max(1, Math.floor(retention / 10));
    this.sql = {
      meta: db.prepare<[], MetaRow>('SELECT revision, compacted FROM meta WHERE id = 1'),
      bump: db.prepare<[], MetaRow>('UPDATE meta SET revision = revision + 1 WHERE id = 1 RETURNING revision, compacted'),
      trim: db.prepare<[number]>('DELETE FROM changes WHERE revision <= ?'),
      setCompacted: db.prepare<[number]>('UPDATE meta SET compacted = ? WHERE id = 1'),

      get: db.prepare<[string], KvRow>('SELECT key, value, mod_revision AS revision, lease FROM kv WHERE key = ?'),
      range: db.prepare<[string, string], KvRow>(
        'SELECT key, value, mod_revision AS revision, lease FROM kv WHERE key >= ? AND key < ? ORDER BY key'),
      keysIn: db.prepare<[string, string], string>('SELECT key FROM kv WHERE key >= ? AND key < ?').pluck(),
      changesSince: db.prepare<[number, string, string], ChangeRow>(
        'SELECT revision, key, type, value, lease FROM changes WHERE revision > ? AND key >= ? AND key < ? ORDER BY revision'),
      // A replaced key keeps its create_revision.
      upsert: db.prepare<[string, string, number, number, number | null]>(
        `INSERT INTO kv (key, value, mod_revision, create_revision, lease) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision,
                                         lease = excluded.lease`),
      remove: db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
      logChange: db.prepare<[number, string, 'put' | 'delete', string | null, number | null]>(
        'INSERT INTO changes (revision, key, type, value, lease) VALUES (?, ?, ?, ?, ?)'),

      leaseExpiry: db.prepare<[number], number>('SELECT expires_at FROM leases WHERE id = ?').pluck(),
      grantLease: db.prepare<[number, number], number>('INSERT INTO leases (ttl, expires_at) VALUES (?, ?) RETURNING id').pluck(),
      refreshLease: db.prepare<[number, number, number]>(
        'UPDATE leases SET expires_at = ? + CAST(ttl * 1000 AS INTEGER) WHERE id = ? AND expires_at > ?'),
      dropLease: db.prepare<[number]>('DELETE FROM leases WHERE id = ?'),
      keysOfLease: db.prepare<[number], string>('SELECT key FROM kv WHERE lease = ? ORDER BY key').pluck(),
      anyExpired: db.prepare<[number], number>('SELECT 1 FROM leases WHERE expires_at <= ? LIMIT 1').pluck(),
      expired: db.prepare<[number], number>('SELECT id FROM leases WHERE expires_at <= ? ORDER BY id').pluck(),
    };
  }

  // --- reads -------------------------------------------------------------------------------

  meta(): MetaRow {
    return this.sql.meta.get() as MetaRow;
  }

  get(key: string): KvRow | undefined {
    return this.sql.get.get(key);
  }

  range(r: KeyRange): KvRow[] {
    return this.sql.range.all(r.from, r.to);
  }

  keysIn(r: KeyRange): string[] {
    return this.sql.keysIn.all(r.from, r.to);
  }

  changesSince(revision: number, r: KeyRange): ChangeRow[] {
    return this.sql.changesSince.all(revision, r.from, r.to);
  }

  anyExpiredLease(now: number): boolean {
    return this.sql.anyExpired.get(now) !== undefined;
  }

  // --- writes (inside BEGIN IMMEDIATE) -------------------------------------------------------

  /** Write `key` (creating or replacing it) at a new revision, and log the change. */
  put(key: string, value: string, lease: number | null): KvRow {
    const revision = this.nextRevision();
    this.sql.upsert.run(key, value, revision, revision, lease);
    this.sql.logChange.run(revision, key, 'put', value, lease);
    return { key, value, revision, lease };
  }

  /** Delete `key` at a new revision, and log the change. The key must exist. */
  remove(key: string): number {
    const revision = this.nextRevision();
    this.sql.remove.run(key);
    this.sql.logChange.run(revision, key, 'delete', null, null);
    return revision;
  }

  /** Throw LeaseLostError unless the lease exists and has not expired. */
  requireLease(id: number, now: number): void {
    const expiresAt = this.sql.leaseExpiry.get(id);
    if (expiresAt === undefined) throw new LeaseLostError(String(id), 'not found (revoked or expired)');
    if (expiresAt <= now) throw new LeaseLostError(String(id), 'expired');
  }

  grantLease(ttlSeconds: number, now: number): number {
    return this.sql.grantLease.get(ttlSeconds, now + Math.round(ttlSeconds * 1000)) as number;
  }

  /** Push the lease's expiry to now + ttl. False if it is gone or already expired. */
  refreshLease(id: number, now: number): boolean {
    return this.sql.refreshLease.run(now, id, now).changes === 1;
  }

  /** Delete the lease and, each with its own delete event, every key held under it. */
  dropLease(id: number): void {
    for (const key of this.sql.keysOfLease.all(id)) this.remove(key);
    this.sql.dropLease.run(id);
  }

  expiredLeases(now: number): number[] {
    return this.sql.expired.all(now);
  }

  private nextRevision(): number {
    const { revision, compacted } = this.sql.bump.get() as MetaRow;
    const horizon = revision - this.retention;
    if (horizon - compacted >= this.trimBatch) {
      this.sql.trim.run(horizon);
      this.sql.setCompacted.run(horizon);
    }
    return revision;
  }
}
