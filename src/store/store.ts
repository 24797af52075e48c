// The Store contract: the one seam between Weft's control plane and a key-value cluster store.
// Every backend (sqlite/, etcd/, zookeeper/, consul/) implements exactly this, and the one
// conformance suite in test/store/conformance.ts holds each of them to it.
//
// Keys are plain strings relative to the backend's root (the URL's prefix). Values are strings;
// typed records are (de)serialised above this layer. A revision is a number that grows with
// every change in the store; a key's `revision` is the revision of its last change, and is
// the token for compare-and-swap.

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Revision of the key's last modification: pass it to `compareAndSwap`/`delete`. */
  readonly revision: number;
  /** Lease the key is held under, if any. */
  readonly lease?: string;
}

/** A key to create, with its value (see Store.createAll). */
export interface NewEntry {
  readonly key: string;
  readonly value: string;
}

export interface Listing {
  readonly items: KeyValue[];
  /** The store's revision at which the listing was read: watch from here to miss nothing. */
  readonly revision: number;
}

export type WatchEvent =
  | { readonly type: 'put'; readonly kv: KeyValue; readonly revision: number }
  | { readonly type: 'delete'; readonly key: string; readonly revision: number };

export interface Watch {
  /** Stop delivering events. Safe to call more than once. */
  close(): Promise<void>;
}

export interface WatchOptions {
  /**
   * Deliver every change with a revision greater than this. A revision older than the backend
   * still holds makes watch() reject (or onError fire): relist and watch from the listing.
   */
  readonly fromRevision: number;
  /** Events in revision order, in batches; the watcher awaits each call before the next. */
  readonly onEvents: (events: WatchEvent[]) => void | Promise<void>;
  /** The watch broke beyond repair (the backend tells why); the caller should relist. */
  readonly onError?: (err: Error) => void;
}

export interface PutOptions {
  /** Hold the key under this lease: it is deleted when the lease expires or is revoked. */
  readonly lease?: Lease;
}

export interface Lease {
  readonly id: string;
  readonly ttlSeconds: number;
  /** Refresh the lease once. Rejects with LeaseLostError if it has already expired. */
  keepAliveOnce(): Promise<void>;
  /** Delete the lease and every key held under it. Safe to call more than once. */
  revoke(): Promise<void>;
  /**
   * Called once if the lease is found lost (expired, or revoked elsewhere), whoever finds it:
   * the background keep-alive, keepAliveOnce, or a write under it. Our own revoke is no loss.
   * Returns an unsubscribe.
   */
  onLost(listener: (err: Error) => void): () => void;
}

export interface GrantOptions {
  /** Keep the lease alive in the background (about every ttl/3). Default true. */
  readonly keepAlive?: boolean;
}

export interface Store {
  /** Which backend and where, for logs and errors (no credentials). */
  readonly description: string;

  get(key: string): Promise<KeyValue | undefined>;
  /** Every key that starts with `prefix`, sorted by key, with the revision they were read at. */
  list(prefix: string): Promise<Listing>;
  /** Create the key only if it does not exist. Returns the new entry, or undefined if it exists. */
  create(key: string, value: string, opts?: PutOptions): Promise<KeyValue | undefined>;
  /**
   * Create every key, all under the same options (lease), or none of them: undefined if any
   * already exists. Entries come back in the order given. One round trip where the backend allows.
   * An empty list is [] without touching the store; a key given twice is a caller's mistake
   * (rejected with a plain Error, nothing written).
   */
  createAll(entries: readonly NewEntry[], opts?: PutOptions): Promise<KeyValue[] | undefined>;
  /** Replace the key only if its revision is still `revision`. Undefined on conflict or absence. */
  compareAndSwap(key: string, value: string, revision: number, opts?: PutOptions): Promise<KeyValue | undefined>;
  /** Delete the key (only at `revision`, if given). True if it was deleted. */
  delete(key: string, revision?: number): Promise<boolean>;
  /** Watch every key under `prefix` from a revision. */
  watch(prefix: string, opts: WatchOptions): Promise<Watch>;
  grantLease(ttlSeconds: number, opts?: GrantOptions): Promise<Lease>;
  close(): Promise<void>;
}

export class LeaseLostError extends Error {
  constructor(leaseId: string, why = 'expired') {
    super(`lease ${leaseId} lost: ${why}`);
    this.name = 'LeaseLostError';
  }
}

/** The store cannot be reached or answered with a transient failure: retrying may help. */
export class StoreUnavailableError extends Error {
  constructor(description: string, cause?: unknown) {
    super(`cluster store ${description} is unavailable${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}
