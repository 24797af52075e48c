// The ZooKeeper backend: `zk://h1:2181,h2:2181/prefix`.
//
// - Keys are znodes under `/<prefix>/weft/v1` (paths.ts). A key's revision is its mzxid, the
//   zxid of its last change: zxids order every change in the ensemble, so revisions order
//   across keys as the contract wants. A listing's revision is the zxid its consistent
//   snapshot was read at (tree.ts).
// - create is a create; createAll is one multi of creates (all or none, one zxid for all);
//   compare-and-swap reads the node, checks its mzxid, and sets it at the version it read (the
//   version is ZooKeeper's own compare token; mzxid maps to it one to one while the node lives). Moving a key onto or off a lease deletes and re-creates it in one
//   multi, since only the creating session can own an ephemeral node.
// - Every write is a multi that also creates an ephemeral *receipt* node, so a write whose
//   connection broke can be retried: a retry that is refused but finds its receipt knows the
//   first attempt was applied, and at which zxid (its czxid). Receipts are removed in batches.
// - Leases are sessions of their own (lease.ts); watches are rebuilt from one-shot ZooKeeper
//   watches (watch.ts) on the store's main session, which is replaced if it expires.
// - Reads go to whichever server a session is connected to, which may lag the leader. Writes
//   can go through other sessions (leases), so a read whose reply is older than our own last
//   write is repeated until the server has caught up: this store reads its own writes.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireDistinctKeys } from '../common/entries.js';
import { KeyJournal, WatchCompactedError } from '../common/resync.js';
import { backoffMs, retrying } from '../common/retry.js';
import {
  LeaseLostError, StoreUnavailableError,
  type GrantOptions, type KeyValue, type Lease, type Listing, type NewEntry, type PutOptions, type Store, type Watch,
  type WatchOptions,
} from '../store.js';
import type { HostPort } from '../url.js';
import { ZkLease } from './lease.js';
import { KeyPaths, encodeDir } from './paths.js';
import { createDir, exists, getChildren, getData, multi, remove, type NodeData, type Op } from './requests.js';
import { Code, SessionExpiredError, ZkError, ZkSession, isTransient, zxidOf, type Reply } from './session.js';
import { readSnapshot, toKeyValue } from './tree.js';
import { ZkWatch } from './watch.js';

export interface ZooKeeperStoreOptions {
  readonly servers: readonly HostPort[];
  /** The URL's path: keys live under `/<prefix>/<root>`. Default ''. */
  readonly prefix?: string;
  /** Default 'weft/v1/'. */
  readonly root?: string;
  /** Timeout of the store's own session (its watches). Default 10 s. */
  readonly sessionTimeoutMs?: number;
  /** Deadline of one request. Default 5 s. */
  readonly requestTimeoutMs?: number;
  /** How long one operation keeps retrying transient failures. Default 15 s. */
  readonly opTimeoutMs?: number;
  /** How long opening waits for a server. Default 5 s. */
  readonly connectTimeoutMs?: number;
}

const DEFAULTS = { root: 'weft/v1/', sessionTimeoutMs: 10_000, requestTimeoutMs: 5_000, opTimeoutMs: 15_000, connectTimeoutMs: 5_000 };
/** Receipts are removed once this many have piled up on a session (or a second after the last write). */
const RECEIPT_BATCH = 32;

export function describeZooKeeper(servers: readonly HostPort[], prefix: string): string {
  return `zk://${servers.map((s) => `${s.host}:${s.port}`).join(',')}/${prefix}`;
}

export async function openZooKeeperStore(opts: ZooKeeperStoreOptions): Promise<Store> {
  if (opts.servers.length === 0) throw new Error('zookeeper store: no servers');
  const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const description = describeZooKeeper(opts.servers, prefix);
  for (const s of opts.servers) {
    // node-zookeeper-client splits "host:port" at the first colon.
    if (s.host.includes(':')) throw new Error(`${description}: IPv6 server addresses are not supported by the ZooKeeper client`);
  }
  const prefixSegments = prefix === '' ? [] : prefix.split('/');
  const znode = (segments: string[]) => `/${segments.filter((s) => s !== '').map(encodeDir).join('/')}`;
  const settings: Settings = {
    description,
    servers: opts.servers.map((s) => `${s.host}:${s.port}`).join(','),
    base: znode([...prefixSegments, ...(opts.root ?? DEFAULTS.root).split('/')]),
    receipts: znode([...prefixSegments, 'weft', 'receipts']),
    sessionTimeoutMs: opts.sessionTimeoutMs ?? DEFAULTS.sessionTimeoutMs,
    requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    opTimeoutMs: opts.opTimeoutMs ?? DEFAULTS.opTimeoutMs,
  };
  const session = await ZkSession.open(
    { servers: settings.servers, sessionTimeoutMs: settings.sessionTimeoutMs, description },
    opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
  );
  const store = new ZooKeeperStore(session, settings);
  try {
    await store.prepare();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

interface Settings {
  readonly description: string;
  readonly servers: string;
  readonly base: string;
  readonly receipts: string;
  readonly sessionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly opTimeoutMs: number;
}

/** The session (and the receipt with it) expired while a write was out: it may or may not have been applied. */
class OutcomeUnknownError extends StoreUnavailableError {
  constructor(description: string) {
    super(description, new Error('the ZooKeeper session expired during a write, whose outcome is therefore unknown'));
    this.name = 'OutcomeUnknownError';
  }
}

type Outcome = { readonly committed: true; readonly zxid: number } | { readonly committed: false; readonly error: ZkError };

class ZooKeeperStore implements Store {
  readonly description: string;
  private readonly paths: KeyPaths;
  private readonly journal = new KeyJournal();
  private readonly dirs = new Set<string>();
  private readonly leases = new Map<string, ZkLease>();
  private readonly watches = new Set<ZkWatch>();
  private readonly clientId = randomBytes(6).toString('hex');
  private readonly receipts = new Map<ZkSession, { paths: string[]; timer?: NodeJS.Timeout }>();
  private replacing: Promise<ZkSession> | undefined;
  private seq = 0;
  /** The newest zxid this store wrote or read: no read may answer from an older state. */
  private minZxid = 0;
  private closed = false;

  constructor(private main: ZkSession, private readonly settings: Settings) {
    this.description = settings.description;
    this.paths = new KeyPaths(settings.base);
    this.watchExpiry(main);
  }

  /** Create the root directories, so that watches on an empty store have something to watch. */
  async prepare(): Promise<void> {
    await this.ensureDirs(this.settings.base);
    await this.ensureDirs(this.settings.receipts);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const node = await this.readNode(this.paths.node(key).path);
    if (!node) return undefined;
    const kv = toKeyValue(key, node.value);
    this.journal.present(kv);
    return kv;
  }

  async list(prefix: string): Promise<Listing> {
    const snap = await this.guard(() => retrying(() => readSnapshot({
      children: (path) => this.read((s) => getChildren(s, path, this.settings.requestTimeoutMs)),
      data: (path) => this.read((s) => getData(s, path, this.settings.requestTimeoutMs)),
    }, this.paths, prefix), this.retryPolicy()));
    this.journal.listing(prefix, snap.items, snap.revision);
    return { items: snap.items, revision: snap.revision };
  }

  async create(key: string, value: string, opts?: PutOptions): Promise<KeyValue | undefined> {
    const lease = this.leaseOf(opts?.lease);
    const { dir, path } = this.paths.node(key);
    await this.ensureDirs(dir);
    const outcome = await this.write(lease, [{ op: 'create', path, data: Buffer.from(value), ephemeral: lease !== undefined }], [dir]);
    if (!outcome.committed) return undefined;
    return this.written(key, value, outcome.zxid, lease);
  }

  /**
   * One multi of creates, on the lease's session as create does (ephemeral under a lease). The
   * directories are made first, as for create: only the first time this client meets them.
   */
  async createAll(entries: readonly NewEntry[], opts?: PutOptions): Promise<KeyValue[] | undefined> {
    requireDistinctKeys(entries);
    if (entries.length === 0) return [];
    const lease = this.leaseOf(opts?.lease);
    const nodes = entries.map((e) => this.paths.node(e.key));
    const dirs = [...new Set(nodes.map((n) => n.dir))];
    for (const dir of dirs) await this.ensureDirs(dir);
    const ops: Op[] = entries.map((e, i) => ({
      op: 'create', path: nodes[i]!.path, data: Buffer.from(e.value), ephemeral: lease !== undefined,
    }));
    const outcome = await this.write(lease, ops, dirs);
    if (!outcome.committed) return undefined;
    return entries.map((e) => this.written(e.key, e.value, outcome.zxid, lease));
  }

  async compareAndSwap(key: string, value: string, revision: number, opts?: PutOptions): Promise<KeyValue | undefined> {
    const lease = this.leaseOf(opts?.lease);
    const { dir, path } = this.paths.node(key);
    const current = await this.readNode(path);
    if (!current || zxidOf(current.value.stat.mzxid) !== revision) return undefined;
    const { stat } = current.value;
    const owner = stat.ephemeralOwner.toString('hex');
    const sameOwner = lease ? owner === lease.id : /^0+$/.test(owner);
    const data = Buffer.from(value);
    const ops: Op[] = sameOwner
      ? [{ op: 'set', path, data, version: stat.version }]
      : [{ op: 'remove', path, version: stat.version }, { op: 'create', path, data, ephemeral: lease !== undefined }];
    const outcome = await this.write(lease, ops, [dir]);
    if (!outcome.committed) return undefined;
    return this.written(key, value, outcome.zxid, lease);
  }

  async delete(key: string, revision?: number): Promise<boolean> {
    const { dir, path } = this.paths.node(key);
    for (;;) {
      const current = await this.readNode(path);
      if (!current) return false;
      const { stat } = current.value;
      if (revision !== undefined && zxidOf(stat.mzxid) !== revision) return false;
      const outcome = await this.write(undefined, [{ op: 'remove', path, version: stat.version }], [dir]);
      if (outcome.committed) {
        this.journal.deleted(key, outcome.zxid);
        return true;
      }
      if (revision !== undefined) return false;
      // Changed (or gone) between our read and the delete: read again.
    }
  }

  async watch(prefix: string, opts: WatchOptions): Promise<Watch> {
    this.checkOpen();
    if (opts.fromRevision < this.journal.floor) {
      throw new WatchCompactedError(this.description, opts.fromRevision, this.journal.floor);
    }
    const watch = new ZkWatch(
      { session: () => this.session(), paths: this.paths, journal: this.journal, requestTimeoutMs: this.settings.requestTimeoutMs },
      prefix, opts, (w) => this.watches.delete(w),
    );
    this.watches.add(watch);
    await this.guard(() => watch.start());
    return watch;
  }

  async grantLease(ttlSeconds: number, opts?: GrantOptions): Promise<Lease> {
    this.checkOpen();
    if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
      throw new RangeError(`${this.description}: lease ttl must be a positive number of seconds, got ${ttlSeconds}`);
    }
    const session = await this.guard(() => ZkSession.open({
      servers: this.settings.servers,
      sessionTimeoutMs: Math.round(ttlSeconds * 1000),
      description: this.description,
      pings: opts?.keepAlive ?? true,
    }, this.settings.opTimeoutMs));
    const lease = new ZkLease(session, { requestTimeoutMs: this.settings.requestTimeoutMs, release: (l) => this.leases.delete(l.id) });
    this.leases.set(lease.id, lease);
    return lease;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const lease of [...this.leases.values()]) lease.detach();
    for (const watch of [...this.watches]) await watch.close();
    for (const pending of this.receipts.values()) clearTimeout(pending.timer);
    // Closing the main session removes its receipts (ephemeral) and its watches.
    await this.main.close(this.settings.requestTimeoutMs);
  }

  // ---- sessions ------------------------------------------------------------------------------

  /** The main session; after it expired, a new one (every watch then reads everything again). */
  private session(): Promise<ZkSession> {
    if (!this.main.expired) return Promise.resolve(this.main);
    this.replacing ??= this.replaceMain().finally(() => (this.replacing = undefined));
    return this.replacing;
  }

  private async replaceMain(): Promise<ZkSession> {
    for (let attempt = 0; ; attempt++) {
      this.checkOpen();
      try {
        const next = await ZkSession.open({
          servers: this.settings.servers, sessionTimeoutMs: this.settings.sessionTimeoutMs, description: this.description,
        }, this.settings.opTimeoutMs);
        this.main = next;
        this.watchExpiry(next);
        for (const w of this.watches) w.sessionReplaced();
        return next;
      } catch (err) {
        if (!isTransient(err)) throw err;
        await sleep(backoffMs(attempt, 100, 2000));
      }
    }
  }

  private watchExpiry(session: ZkSession): void {
    session.onExpired(() => {
      this.receipts.delete(session);
      if (!this.closed) void this.session().catch(() => undefined);
    });
  }

  private leaseOf(lease: Lease | undefined): ZkLease | undefined {
    if (lease === undefined) return undefined;
    const own = this.leases.get(lease.id);
    const ended = own ? own.ended : new LeaseLostError(lease.id, `not a live lease of this ${this.description} client`);
    if (ended) throw ended;
    return own;
  }

  // ---- reads ---------------------------------------------------------------------------------

  private async readNode(path: string): Promise<Reply<NodeData> | undefined> {
    try {
      return await this.guard(() => retrying(() => this.read((s) => getData(s, path, this.settings.requestTimeoutMs)), this.retryPolicy()));
    } catch (err) {
      if (err instanceof ZkError && err.code === Code.NO_NODE) return undefined;
      throw err;
    }
  }

  /** One read on the main session that is not older than anything this store has seen. */
  private async read<T>(op: (s: ZkSession) => Promise<Reply<T>>): Promise<Reply<T>> {
    for (let attempt = 0; ; attempt++) {
      let reply: Reply<T> | undefined;
      let zxid: number;
      try {
        reply = await op(await this.session());
        zxid = reply.zxid;
      } catch (err) {
        if (!(err instanceof ZkError) || err.zxid >= this.minZxid) throw err;
        zxid = err.zxid;
        if (attempt > 50) throw err;
      }
      if (zxid >= this.minZxid) {
        this.minZxid = zxid;
        return reply!;
      }
      if (attempt > 50) throw new StoreUnavailableError(this.description, new Error('the server lags behind this client\'s writes'));
      await sleep(5); // a follower behind our own write: it catches up in milliseconds
    }
  }

  // ---- writes --------------------------------------------------------------------------------

  /**
   * Apply `ops` (plus a receipt) on the lease's session, or the main one. Refused: the error of
   * the first refused op. An attempt whose answer was lost is repeated; its receipt tells.
   * `dirs`: the directories the ops' nodes live in, made again if one was removed meanwhile.
   */
  private async write(lease: ZkLease | undefined, ops: Op[], dirs: readonly string[]): Promise<Outcome> {
    this.checkOpen();
    const receipt = `${this.settings.receipts}/${this.clientId}-${++this.seq}`;
    const all: Op[] = [...ops, { op: 'create', path: receipt, data: null, ephemeral: true }];
    let unsure = false;
    const attempt = async (): Promise<Outcome> => {
      const session = lease ? lease.session : await this.session();
      try {
        const reply = await multi(session, all, this.settings.requestTimeoutMs);
        if (reply.value.ok) {
          this.minZxid = Math.max(this.minZxid, reply.zxid);
          this.keepReceipt(session, receipt);
          return { committed: true, zxid: reply.zxid };
        }
        const { failed, error } = reply.value;
        if (unsure || failed === ops.length) {
          // Refused: perhaps because an earlier attempt of ours got through.
          const earlier = await exists(session, receipt, this.settings.requestTimeoutMs);
          if (earlier.value) {
            this.keepReceipt(session, receipt);
            return { committed: true, zxid: zxidOf(earlier.value.czxid) };
          }
        }
        if (error.code === Code.NO_NODE && ops[0]?.op === 'create') {
          this.dirs.clear(); // a directory was removed behind our back: make them again
          for (const dir of dirs) await this.ensureDirs(dir);
          throw new ZkError(Code.CONNECTION_LOSS, 'retry after re-creating directories');
        }
        return { committed: false, error };
      } catch (err) {
        if (err instanceof SessionExpiredError) {
          if (lease) {
            lease.markLost(new LeaseLostError(lease.id, 'its ZooKeeper session expired'));
            throw lease.ended ?? err;
          }
          // The receipt went with the session: if the write had gone out, nobody can tell.
          if (err.sent || unsure) throw new OutcomeUnknownError(this.description);
        }
        if (isTransient(err) || err instanceof SessionExpiredError) unsure = true;
        throw err;
      }
    };
    return this.guard(() => retrying(attempt, {
      ...this.retryPolicy(),
      retryable: (err) => !(err instanceof OutcomeUnknownError) && (isTransient(err) || (err instanceof SessionExpiredError && !lease)),
    }));
  }

  private written(key: string, value: string, zxid: number, lease: ZkLease | undefined): KeyValue {
    const kv = lease ? { key, value, revision: zxid, lease: lease.id } : { key, value, revision: zxid };
    this.journal.present(kv);
    return kv;
  }

  /** Receipts of applied writes are no longer needed: remove them, a batch at a time. */
  private keepReceipt(session: ZkSession, path: string): void {
    let pending = this.receipts.get(session);
    if (!pending) this.receipts.set(session, (pending = { paths: [] }));
    pending.paths.push(path);
    clearTimeout(pending.timer);
    if (pending.paths.length >= RECEIPT_BATCH) void this.sweepReceipts(session);
    else pending.timer = setTimeout(() => void this.sweepReceipts(session), 1000).unref();
  }

  private async sweepReceipts(session: ZkSession): Promise<void> {
    const pending = this.receipts.get(session);
    if (!pending || pending.paths.length === 0) return;
    const batch = pending.paths.splice(0);
    clearTimeout(pending.timer);
    this.receipts.delete(session); // a new batch starts with the next write
    try {
      const reply = await multi(session, batch.map((path) => ({ op: 'remove', path, version: -1 })), this.settings.requestTimeoutMs);
      if (reply.value.ok) return;
      // One was gone already: the rest one by one.
      await Promise.all(batch.map((path) => remove(session, path, this.settings.requestTimeoutMs).catch(() => undefined)));
    } catch {
      // Ephemeral: whatever is left goes with the session.
    }
  }

  private async ensureDirs(dir: string): Promise<void> {
    if (this.dirs.has(dir)) return;
    for (const path of KeyPaths.ancestry(dir)) {
      if (this.dirs.has(path)) continue;
      try {
        await this.guard(() => retrying(async () => createDir(await this.session(), path, this.settings.requestTimeoutMs), this.retryPolicy()));
      } catch (err) {
        if (!(err instanceof ZkError) || err.code !== Code.NODE_EXISTS) throw err;
      }
      this.dirs.add(path);
    }
  }

  // ---- errors --------------------------------------------------------------------------------

  private retryPolicy() {
    return { deadlineMs: this.settings.opTimeoutMs, retryable: (err: unknown) => isTransient(err) || err instanceof SessionExpiredError };
  }

  /** Transient failures that outlasted their retries become StoreUnavailableError. */
  private async guard<T>(op: () => Promise<T>): Promise<T> {
    this.checkOpen();
    try {
      return await op();
    } catch (err) {
      if (err instanceof StoreUnavailableError || err instanceof LeaseLostError) throw err;
      if (isTransient(err) || err instanceof SessionExpiredError) throw new StoreUnavailableError(this.description, err);
      throw err;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreUnavailableError(this.description, new Error('the store was closed'));
  }
}
