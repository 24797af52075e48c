// The etcd v3 backend: `etcd://h1:2379,h2:2379/prefix`.
//
// - Keys live under `<prefix>/weft/v1/` (`weft/v1/` without a prefix); a key's revision is its
//   mod_revision, and a listing's revision is the header revision of its range read.
// - create is a transaction comparing create_revision = 0; createAll is one transaction with that
//   comparison for every key, so all its keys share one revision; compare-and-swap and delete
//   compare mod_revision. Every write goes through writes.ts, so it is safe to retry when a
//   member dies mid-request (see there).
// - Reads are linearizable (etcd's default) and retried on transient failures; any member of
//   the list will do. A member that keeps failing is skipped for a while.
// - Leases are etcd leases (lease.ts); watches are etcd watches that resume after a broken
//   stream from the last revision they delivered (watch.ts).
import type { Etcd3, ICompare, IRequestOp } from 'etcd3';
import { requireDistinctKeys } from '../common/entries.js';
import { retrying } from '../common/retry.js';
import {
  LeaseLostError, StoreUnavailableError,
  type GrantOptions, type KeyValue, type Lease, type Listing, type NewEntry, type PutOptions, type Store, type Watch,
  type WatchOptions,
} from '../store.js';
import type { HostPort } from '../url.js';
import { connect, hostString, isLeaseNotFound, isTransient } from './client.js';
import { prefixRange, revisionOf, toKeyValue, type ByteRange } from './keys.js';
import { WatchCompactedError } from '../common/resync.js';
import { EtcdLease, type LeaseRpc } from './lease.js';
import { EtcdWatch, type WatchRpc } from './watch.js';
import { ReceiptedWriter } from './writes.js';

export interface EtcdStoreOptions {
  readonly endpoints: readonly HostPort[];
  /** The URL's path: keys live under `<prefix>/<root>`. Default ''. */
  readonly prefix?: string;
  /** Default 'weft/v1/'. */
  readonly root?: string;
  /** Deadline of one RPC. Default 5 s. */
  readonly callTimeoutMs?: number;
  /** How long one operation keeps retrying transient failures before StoreUnavailableError. Default 15 s. */
  readonly opTimeoutMs?: number;
  /** How long opening waits for a first answer. Default 5 s. */
  readonly connectTimeoutMs?: number;
}

const DEFAULTS = { root: 'weft/v1/', callTimeoutMs: 5_000, opTimeoutMs: 15_000, connectTimeoutMs: 5_000 };

export function describeEtcd(endpoints: readonly HostPort[], prefix: string): string {
  return `etcd://${endpoints.map(hostString).join(',')}/${prefix}`;
}

export async function openEtcdStore(opts: EtcdStoreOptions): Promise<Store> {
  if (opts.endpoints.length === 0) throw new Error('etcd store: no endpoints');
  const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const base = prefix === '' ? '' : `${prefix}/`;
  const settings = {
    keyspace: base + (opts.root ?? DEFAULTS.root),
    receipts: `${base}weft/receipts/`,
    callTimeoutMs: opts.callTimeoutMs ?? DEFAULTS.callTimeoutMs,
    opTimeoutMs: opts.opTimeoutMs ?? DEFAULTS.opTimeoutMs,
  };
  const description = describeEtcd(opts.endpoints, prefix);
  const client = connect(opts.endpoints, {
    callTimeoutMs: settings.callTimeoutMs, failuresBeforeSkip: 3, skipMs: 1_000,
  });
  const store = new EtcdStore(client, description, settings);
  try {
    // One read proves a member answers; otherwise the caller hears now, not at its first write.
    await retrying(() => client.kv.range({ key: Buffer.from(settings.keyspace), limit: 1 }), {
      deadlineMs: opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, retryable: isTransient,
    });
  } catch (err) {
    client.close();
    throw isTransient(err) ? new StoreUnavailableError(description, err) : err;
  }
  return store;
}

interface Settings {
  readonly keyspace: string;
  readonly receipts: string;
  readonly callTimeoutMs: number;
  readonly opTimeoutMs: number;
}

class EtcdStore implements Store {
  private readonly writer: ReceiptedWriter;
  private readonly leases = new Map<string, EtcdLease>();
  private readonly watches = new Set<EtcdWatch>();
  private readonly leaseRpc: LeaseRpc;
  private readonly watchRpc: WatchRpc;
  private closed = false;

  constructor(private readonly client: Etcd3, readonly description: string, private readonly settings: Settings) {
    this.writer = new ReceiptedWriter(client.kv, settings.receipts, settings.opTimeoutMs);
    this.leaseRpc = {
      client: client.leaseClient,
      description,
      deadlineMs: settings.opTimeoutMs,
      callTimeoutMs: settings.callTimeoutMs,
      release: (lease) => this.leases.delete(lease.id),
    };
    this.watchRpc = { client: client.watchClient, keyspace: settings.keyspace, description, deadlineMs: settings.opTimeoutMs };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.read(() => this.client.kv.range({ key: this.full(key) }));
    const kv = res.kvs[0];
    return kv && toKeyValue(kv, this.settings.keyspace);
  }

  async list(prefix: string): Promise<Listing> {
    const range = prefixRange(this.full(prefix));
    const res = await this.read(() => this.client.kv.range({ ...range, sort_order: 'Ascend', sort_target: 'Key' }));
    return { items: res.kvs.map((kv) => toKeyValue(kv, this.settings.keyspace)), revision: revisionOf(res.header.revision) };
  }

  async create(key: string, value: string, opts?: PutOptions): Promise<KeyValue | undefined> {
    return this.put(key, value, opts, this.absent(key));
  }

  async createAll(entries: readonly NewEntry[], opts?: PutOptions): Promise<KeyValue[] | undefined> {
    requireDistinctKeys(entries);
    if (entries.length === 0) return [];
    const lease = opts?.lease;
    const revision = await this.putUnder(
      lease,
      entries.map((e) => this.absent(e.key)),
      entries.map((e) => this.putOp(e.key, e.value, lease)),
    );
    return revision === undefined ? undefined : entries.map((e) => written(e.key, e.value, revision, lease));
  }

  /** As in etcd itself: a swap without a lease detaches the key from the lease it had. */
  async compareAndSwap(key: string, value: string, revision: number, opts?: PutOptions): Promise<KeyValue | undefined> {
    return this.put(key, value, opts, { key: this.full(key), target: 'Mod', result: 'Equal', mod_revision: revision });
  }

  async delete(key: string, revision?: number): Promise<boolean> {
    // Always conditional, so that a retried attempt can never delete a key re-created since.
    for (;;) {
      const at = revision ?? (await this.get(key))?.revision;
      if (at === undefined) return false;
      const outcome = await this.write(
        [{ key: this.full(key), target: 'Mod', result: 'Equal', mod_revision: at }],
        [{ request_delete_range: { key: this.full(key) } }],
      );
      if (outcome.committed) return true;
      if (revision !== undefined) return false;
      // Changed between our read and the delete: read again.
    }
  }

  async watch(prefix: string, opts: WatchOptions): Promise<Watch> {
    this.checkOpen();
    const range = prefixRange(this.full(prefix));
    await this.checkHistory(range, opts.fromRevision);
    const watch = new EtcdWatch(this.watchRpc, range, opts, (w) => this.watches.delete(w));
    this.watches.add(watch);
    await watch.start();
    return watch;
  }

  async grantLease(ttlSeconds: number, opts?: GrantOptions): Promise<Lease> {
    if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
      throw new RangeError(`${this.description}: lease ttl must be a positive number of seconds, got ${ttlSeconds}`);
    }
    // etcd counts whole seconds and raises short TTLs to its minimum (1.5 election timeouts);
    // the lease reports the TTL etcd granted.
    const res = await this.read(() =>
      this.client.leaseClient.leaseGrant({ TTL: Math.max(1, Math.ceil(ttlSeconds)) }, { deadline: Date.now() + this.settings.callTimeoutMs }));
    const lease = new EtcdLease(res.ID, Number(res.TTL), this.leaseRpc, opts?.keepAlive ?? true);
    this.leases.set(lease.id, lease);
    return lease;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const lease of this.leases.values()) lease.stop();
    for (const watch of [...this.watches]) await watch.close();
    await this.writer.clear(Math.min(1000, this.settings.callTimeoutMs)).catch(() => undefined);
    this.client.close();
  }

  /**
   * etcd creates a watch from a compacted revision and only cancels it afterwards; a read at the
   * first revision the watch needs fails at once instead, so watch() can reject as the contract says.
   */
  private async checkHistory(range: ByteRange, fromRevision: number): Promise<void> {
    try {
      await this.read(() => this.client.kv.range({ ...range, limit: 1, keys_only: true, revision: fromRevision + 1 }));
    } catch (err) {
      const message = err instanceof Error ? err.message : '';
      if (message.includes('required revision has been compacted')) {
        throw new WatchCompactedError(this.description, fromRevision);
      }
      if (!message.includes('future revision')) throw err; // nothing after it yet: nothing compacted either
    }
  }

  private full(key: string): Buffer {
    return Buffer.from(this.settings.keyspace + key);
  }

  /** The comparison that holds while `key` does not exist. */
  private absent(key: string): ICompare {
    return { key: this.full(key), target: 'Create', result: 'Equal', create_revision: 0 };
  }

  private putOp(key: string, value: string, lease: Lease | undefined): IRequestOp {
    return { request_put: { key: this.full(key), value: Buffer.from(value), lease: lease?.id ?? 0 } };
  }

  private async put(key: string, value: string, opts: PutOptions | undefined, compare: ICompare): Promise<KeyValue | undefined> {
    const lease = opts?.lease;
    const revision = await this.putUnder(lease, [compare], [this.putOp(key, value, lease)]);
    return revision === undefined ? undefined : written(key, value, revision, lease);
  }

  /** One transaction of puts under `lease`: its revision, or undefined if a comparison failed. */
  private async putUnder(lease: Lease | undefined, compare: ICompare[], puts: IRequestOp[]): Promise<number | undefined> {
    const own = lease && this.leases.get(lease.id);
    const ended = own?.ended;
    if (ended) throw ended;
    try {
      const outcome = await this.write(compare, puts);
      return outcome.committed ? outcome.revision : undefined;
    } catch (err) {
      if (!isLeaseNotFound(err) || !lease) throw err;
      const lost = new LeaseLostError(lease.id, 'expired or revoked');
      own?.markLost(lost);
      throw lost;
    }
  }

  private async write(compare: ICompare[], success: IRequestOp[]) {
    this.checkOpen();
    try {
      return await this.writer.txn(compare, success, []);
    } catch (err) {
      throw isTransient(err) ? new StoreUnavailableError(this.description, err) : err;
    }
  }

  private async read<T>(op: () => Promise<T>): Promise<T> {
    this.checkOpen();
    try {
      return await retrying(op, { deadlineMs: this.settings.opTimeoutMs, retryable: isTransient });
    } catch (err) {
      throw isTransient(err) ? new StoreUnavailableError(this.description, err) : err;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreUnavailableError(this.description, new Error('the store was closed'));
  }
}

/** Every key a transaction puts has the transaction's revision as its mod_revision. */
function written(key: string, value: string, revision: number, lease: Lease | undefined): KeyValue {
  return lease ? { key, value, revision, lease: lease.id } : { key, value, revision };
}
