// The Consul backend: `consul://h:8500/prefix`, one agent (which forwards to the servers).
//
// - Keys live under `<prefix>/weft/v1/`; a key's revision is its ModifyIndex (Consul's raft
//   index, which orders every change), and a listing's revision is the X-Consul-Index of its
//   recurse query.
// - Every write is one transaction (PUT /v1/txn), so a refused check changes nothing:
//     create              check-not-exists, then set (or lock under a lease)
//     createAll           cas at index 0 ("only if absent") per key; under a lease, which cas
//                         cannot take, check-not-exists per key, then lock per key
//     compare-and-swap    check-index, delete, then set (or lock): the delete drops any
//                         session the key was held by, so a swap without a lease detaches it
//     delete at revision  delete-cas
//     delete              get (refused if absent), delete
// - Leases are sessions (lease.ts); watches are blocking queries (watch.ts).
// - Consul's HTTP writes carry no idempotency token either: a transaction whose answer was lost
//   is reported as StoreUnavailableError, never retried blindly.
//
// Written to Consul's documented HTTP API and unit-tested against a fake agent only: it has
// never run against a real Consul.
import { requireDistinctKeys } from '../common/entries.js';
import { KeyJournal } from '../common/resync.js';
import {
  LeaseLostError, StoreUnavailableError,
  type GrantOptions, type KeyValue, type Lease, type Listing, type NewEntry, type PutOptions, type Store, type Watch,
  type WatchOptions,
} from '../store.js';
import type { HostPort } from '../url.js';
import { ConsulHttp, decodeValue, encodeValue, type ConsulEntry, type TxnKvOp } from './http.js';
import { ConsulLease, MIN_TTL_SECONDS } from './lease.js';
import { ConsulWatch } from './watch.js';

export interface ConsulStoreOptions {
  readonly agent: HostPort;
  /** The URL's path: keys live under `<prefix>/<root>`. Default ''. */
  readonly prefix?: string;
  /** Default 'weft/v1/'. */
  readonly root?: string;
  readonly requestTimeoutMs?: number;
  /** How long opening waits for the agent's first answer. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Longest wait of one blocking query (Consul's maximum is 10 minutes). Default 60 s. */
  readonly watchWaitSeconds?: number;
  /** Injected for tests. */
  readonly fetch?: typeof fetch;
}

export function describeConsul(agent: HostPort, prefix: string): string {
  const host = agent.host.includes(':') ? `[${agent.host}]` : agent.host;
  return `consul://${host}:${agent.port}/${prefix}`;
}

export async function openConsulStore(opts: ConsulStoreOptions): Promise<Store> {
  const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const description = describeConsul(opts.agent, prefix);
  const host = opts.agent.host.includes(':') ? `[${opts.agent.host}]` : opts.agent.host;
  const http = (requestTimeoutMs: number) => new ConsulHttp({
    baseUrl: `http://${host}:${opts.agent.port}`,
    description,
    requestTimeoutMs,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const keyspace = (prefix === '' ? '' : `${prefix}/`) + (opts.root ?? 'weft/v1/');
  // One read proves the agent answers (and that it is Consul).
  await http(opts.connectTimeoutMs ?? 5_000).list(keyspace);
  return new ConsulStore(http(opts.requestTimeoutMs ?? 5_000), description, keyspace, opts.watchWaitSeconds ?? 60);
}

class ConsulStore implements Store {
  private readonly journal = new KeyJournal();
  private readonly leases = new Map<string, ConsulLease>();
  private readonly watches = new Set<ConsulWatch>();
  private closed = false;

  constructor(
    private readonly http: ConsulHttp,
    readonly description: string,
    private readonly keyspace: string,
    private readonly waitSeconds: number,
  ) {}

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    const { body } = await this.http.get(this.keyspace + key);
    if (!body) return undefined;
    const kv = this.toKeyValue(body);
    this.journal.present(kv);
    return kv;
  }

  async list(prefix: string): Promise<Listing> {
    this.checkOpen();
    const { body, index } = await this.http.list(this.keyspace + prefix);
    const items = body.map((e) => this.toKeyValue(e)).sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    const revision = Math.max(index, ...items.map((kv) => kv.revision));
    this.journal.listing(prefix, items, revision);
    return { items, revision };
  }

  async create(key: string, value: string, opts?: PutOptions): Promise<KeyValue | undefined> {
    const full = this.keyspace + key;
    return this.put(key, value, opts?.lease, [{ Verb: 'check-not-exists', Key: full }]);
  }

  /**
   * One transaction. Consul caps a transaction's operations (64 in older agents, 128 since), so
   * this is for a handful of keys: a longer list is refused by the agent as a whole, never split.
   */
  async createAll(entries: readonly NewEntry[], opts?: PutOptions): Promise<KeyValue[] | undefined> {
    requireDistinctKeys(entries);
    if (entries.length === 0) return [];
    this.checkOpen();
    const lease = opts?.lease;
    const own = this.liveLease(lease);
    const full = entries.map((e) => ({ Key: this.keyspace + e.key, Value: encodeValue(e.value) }));
    // Checks first, then the locks: an error at or after index `entries.length` is a lock's.
    const ops: TxnKvOp[] = lease
      ? [...full.map((e): TxnKvOp => ({ Verb: 'check-not-exists', Key: e.Key })),
        ...full.map((e): TxnKvOp => ({ Verb: 'lock', ...e, Session: lease.id }))]
      : full.map((e): TxnKvOp => ({ Verb: 'cas', ...e, Index: 0 }));
    const res = await this.http.txn(ops);
    if (!res.ok) {
      const lockFailed = res.errors.some((e) => e.OpIndex >= entries.length);
      return this.refused(lease, own, lockFailed);
    }
    // Every write of one transaction lands at the same raft index; read it back per key anyway.
    const indexes = new Map(res.results.map((r) => [r.Key, r.ModifyIndex]));
    return entries.map((e, i) => this.written(e.key, e.value, indexes.get(full[i]!.Key) ?? res.index, lease));
  }

  async compareAndSwap(key: string, value: string, revision: number, opts?: PutOptions): Promise<KeyValue | undefined> {
    const full = this.keyspace + key;
    return this.put(key, value, opts?.lease, [{ Verb: 'check-index', Key: full, Index: revision }, { Verb: 'delete', Key: full }]);
  }

  async delete(key: string, revision?: number): Promise<boolean> {
    this.checkOpen();
    const full = this.keyspace + key;
    const ops: TxnKvOp[] = revision === undefined
      ? [{ Verb: 'get', Key: full }, { Verb: 'delete', Key: full }]
      : [{ Verb: 'delete-cas', Key: full, Index: revision }];
    const res = await this.http.txn(ops);
    if (res.ok) this.journal.deleted(key, res.index);
    return res.ok;
  }

  async watch(prefix: string, opts: WatchOptions): Promise<Watch> {
    this.checkOpen();
    const watch = new ConsulWatch({
      http: this.http,
      journal: this.journal,
      consulPrefix: this.keyspace + prefix,
      toKeyValue: (e) => this.toKeyValue(e),
      waitSeconds: this.waitSeconds,
    }, prefix, opts, (w) => this.watches.delete(w));
    this.watches.add(watch);
    await watch.start();
    return watch;
  }

  async grantLease(ttlSeconds: number, opts?: GrantOptions): Promise<Lease> {
    this.checkOpen();
    if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
      throw new RangeError(`${this.description}: lease ttl must be a positive number of seconds, got ${ttlSeconds}`);
    }
    const ttl = Math.max(MIN_TTL_SECONDS, Math.ceil(ttlSeconds));
    const id = await this.http.createSession(ttl, 'weft');
    const lease = new ConsulLease(id, ttl, this.http, (l) => this.leases.delete(l.id), opts?.keepAlive ?? true);
    this.leases.set(id, lease);
    return lease;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const lease of [...this.leases.values()]) lease.stop();
    for (const watch of [...this.watches]) await watch.close();
    this.http.abortAll();
  }

  toKeyValue(e: ConsulEntry): KeyValue {
    const kv = { key: e.Key.slice(this.keyspace.length), value: decodeValue(e.Value), revision: e.ModifyIndex };
    return e.Session ? { ...kv, lease: e.Session } : kv;
  }

  private async put(key: string, value: string, lease: Lease | undefined, checks: TxnKvOp[]): Promise<KeyValue | undefined> {
    this.checkOpen();
    const own = this.liveLease(lease);
    const full = this.keyspace + key;
    const write: TxnKvOp = lease
      ? { Verb: 'lock', Key: full, Value: encodeValue(value), Session: lease.id }
      : { Verb: 'set', Key: full, Value: encodeValue(value) };
    const res = await this.http.txn([...checks, write]);
    if (res.ok) return this.written(key, value, res.results.at(-1)?.ModifyIndex ?? res.index, lease);
    return this.refused(lease, own, res.errors.some((e) => e.OpIndex === checks.length));
  }

  /** This client's lease object, if it knows it; throws if the lease has ended. */
  private liveLease(lease: Lease | undefined): ConsulLease | undefined {
    const own = lease && this.leases.get(lease.id);
    const ended = own?.ended;
    if (ended) throw ended;
    return own;
  }

  private written(key: string, value: string, revision: number, lease: Lease | undefined): KeyValue {
    const kv = lease ? { key, value, revision, lease: lease.id } : { key, value, revision };
    this.journal.present(kv);
    return kv;
  }

  /**
   * A refused transaction is "exists", unless a lock was refused because its session is gone
   * (Consul gives no error code, so ask): then the lease is lost.
   */
  private async refused(lease: Lease | undefined, own: ConsulLease | undefined, lockFailed: boolean): Promise<undefined> {
    if (lease && lockFailed && !(await this.http.sessionExists(lease.id))) {
      const lost = new LeaseLostError(lease.id, 'its Consul session is gone');
      own?.markLost(lost);
      throw lost;
    }
    return undefined;
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreUnavailableError(this.description, new Error('the store was closed'));
  }
}
