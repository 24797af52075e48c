// The one compare-and-swap helper (STYLE §4). IPAM, VNI allocation and name reservation all
// change shared JSON documents the same way: read, change a copy, write only if nobody wrote
// in between (create if absent, else swap by revision), and on a lost race read again.
import { setTimeout as sleep } from 'node:timers/promises';
import { WeftError } from '../errors.js';
import type { Lease, Store } from './store.js';

export interface Versioned<T> {
  readonly value: T;
  /** The key's revision holding `value`. */
  readonly revision: number;
}

export interface ReadOptions<T> {
  /** Check or convert what was read, e.g. a zod schema's `parse`. Default: trust the JSON. */
  readonly parse?: (raw: unknown) => T;
}

export interface UpdateOptions<T> extends ReadOptions<T> {
  /** Hold the key under this lease (a write without it detaches the key from any lease). */
  readonly lease?: Lease;
  /** How many lost races to retry before giving up. Default 25. */
  readonly retries?: number;
}

const DEFAULT_RETRIES = 25;

/** The key kept changing under us: too many concurrent writers. Retrying later may help. */
export class UpdateConflictError extends WeftError {
  constructor(readonly key: string, attempts: number) {
    super('unavailable', `gave up updating ${key} after ${attempts} attempts: other writers kept changing it`);
    this.name = 'UpdateConflictError';
  }
}

export async function getJson<T>(store: Store, key: string, opts?: ReadOptions<T>): Promise<Versioned<T> | undefined> {
  const kv = await store.get(key);
  return kv && { value: decode(store, key, kv.value, opts), revision: kv.revision };
}

/** Create the key only if it does not exist: undefined if it does (e.g. the name is taken). */
export async function createJson<T>(
  store: Store, key: string, value: T, opts?: { readonly lease?: Lease },
): Promise<Versioned<T> | undefined> {
  const kv = await store.create(key, encode(key, value), opts);
  return kv && { value, revision: kv.revision };
}

/**
 * Apply `change` to the key's current value (undefined if absent) and store the result,
 * atomically. `change` gets a fresh copy each attempt, may run more than once, and may throw
 * to abort (the error propagates, nothing is written). If the result serialises to what is
 * already stored (under the same lease), nothing is written and the current revision returned.
 */
export async function updateJson<T>(
  store: Store, key: string, change: (current: T | undefined) => T, opts: UpdateOptions<T> = {},
): Promise<Versioned<T>> {
  const retries = opts.retries ?? DEFAULT_RETRIES;
  for (let attempt = 0; ; attempt++) {
    const kv = await store.get(key);
    const next = change(kv && decode(store, key, kv.value, opts));
    const text = encode(key, next);
    if (kv && kv.value === text && kv.lease === opts.lease?.id) return { value: next, revision: kv.revision };
    const written = kv
      ? await store.compareAndSwap(key, text, kv.revision, { lease: opts.lease })
      : await store.create(key, text, { lease: opts.lease });
    if (written) return { value: next, revision: written.revision };
    if (attempt >= retries) throw new UpdateConflictError(key, attempt + 1);
    // Full jitter, growing to 100 ms: the racers spread out instead of colliding again.
    await sleep(Math.random() * Math.min(100, 2 ** (attempt + 1)));
  }
}

function decode<T>(store: Store, key: string, text: string, opts: ReadOptions<T> | undefined): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${store.description}: ${key} does not hold JSON`, { cause: err });
  }
  return opts?.parse ? opts.parse(raw) : (raw as T);
}

function encode(key: string, value: unknown): string {
  const text = JSON.stringify(value);
  // JSON.stringify(undefined) is undefined: a missing return in `change`, most likely.
  if (text === undefined) throw new TypeError(`cannot store ${key}: the value is not JSON-serialisable`);
  return text;
}
