// IPAM over a Store: pools and addresses of one address space, safe across hosts and processes.
//
// - All pools of the address space live in ONE document (`<prefix>pools`), changed only with
//   the store's compare-and-swap helper, so of two concurrent overlapping requests exactly one
//   is written and the other sees it and fails (or picks the next default subnet).
// - Each address is its OWN key (`<prefix>addr/<networkId>/<ip>`), reserved by an atomic create
//   and held under the owner's lease: a crashed host's addresses free themselves when its lease
//   expires, with no sweeper and no contention on a shared bitmap.
//
// Docker classic kept a bitmap per pool in the store instead (libnetwork bitseq), which made
// every address allocation on a network a read-modify-write of the same key.

import type { IpamPool, IpamPoolRequest } from '../cluster/types.js';
import type { Lease, Store } from '../store/store.js';
import { getJson, updateJson } from '../store/update.js';
import { assignableAddresses, unassignable } from './addresses.js';
import { formatAddr4, parseAddr4 } from './cidr.js';
import * as msg from './messages.js';
import {
  addPool, emptyPools, parseDefaultPools, poolContains, poolsOf, removePools,
  type DefaultPool, type PoolsDocument, type SplitPool,
} from './pools.js';

export { GLOBAL_DEFAULT_POOLS, LOCAL_DEFAULT_POOLS, type DefaultPool } from './pools.js';
export { validatePoolRequests } from './validate.js';

export interface IpamOptions {
  /** Where automatic subnets come from, in order: GLOBAL_DEFAULT_POOLS or LOCAL_DEFAULT_POOLS. */
  readonly defaultPools: readonly DefaultPool[];
  /** Key prefix of this address space in the store. Default `ipam/`. */
  readonly keyPrefix?: string;
}

export interface AddressRequest {
  /** The address the user asked for (`--ip`): anywhere in the subnet, even outside the ip-range. */
  readonly preferred?: string;
  /** Who holds the address (an endpoint id); stored with it for debugging and audits. */
  readonly owner: string;
  /** Hold the address under this lease, so it is freed if the owning host dies. */
  readonly lease?: Lease;
  /** The network's name, for the "no available addresses" message; defaults to its id. */
  readonly networkName?: string;
}

export class Ipam {
  private readonly defaults: readonly SplitPool[];
  private readonly prefix: string;

  constructor(private readonly store: Store, opts: IpamOptions) {
    this.defaults = parseDefaultPools(opts.defaultPools);
    this.prefix = opts.keyPrefix ?? 'ipam/';
  }

  /** Validate and reserve one pool for the network: the requested subnet, or the next free default one. */
  async requestPool(networkId: string, req: IpamPoolRequest): Promise<IpamPool> {
    let pool: IpamPool | undefined;
    await updateJson<PoolsDocument>(this.store, this.poolsKey, (current) => {
      // Runs again after a lost compare-and-swap, so `pool` ends as the one actually written.
      const added = addPool(current ?? emptyPools(), networkId, req, this.defaults);
      pool = added.pool;
      return added.doc;
    });
    if (pool === undefined) throw new Error('updateJson returned without applying the change');
    return pool;
  }

  /** Give back every pool of the network, and any address key it left behind. Safe to repeat. */
  async releasePool(networkId: string): Promise<void> {
    const current = await getJson<PoolsDocument>(this.store, this.poolsKey);
    if (current !== undefined && poolsOf(current.value, networkId).length > 0) {
      await updateJson<PoolsDocument>(this.store, this.poolsKey, (latest) => removePools(latest ?? emptyPools(), networkId));
    }
    const leftovers = await this.store.list(this.addrPrefix(networkId));
    for (const kv of leftovers.items) await this.store.delete(kv.key);
  }

  /**
   * Reserve an address of the pool for `owner`: the preferred one, or else the lowest free one
   * of the ip-range (or subnet), never the network, broadcast, gateway or an auxiliary address.
   */
  async requestAddress(networkId: string, pool: IpamPool, opts: AddressRequest): Promise<string> {
    const value = JSON.stringify({ owner: opts.owner });
    const put = opts.lease === undefined ? undefined : { lease: opts.lease };
    if (opts.preferred !== undefined && opts.preferred !== '') {
      return this.reservePreferred(networkId, pool, opts.preferred, value, put);
    }
    // One listing, then creates in order: a create lost to a concurrent allocator just moves
    // on to the next address, so no retry loop re-reads the network.
    const prefix = this.addrPrefix(networkId);
    const listing = await this.store.list(prefix);
    const taken = new Set(listing.items.map((kv) => kv.key.slice(prefix.length)));
    for (const addr of assignableAddresses(pool)) {
      const ip = formatAddr4(addr);
      if (taken.has(ip)) continue;
      if (await this.store.create(prefix + ip, value, put)) return ip;
    }
    throw msg.noAvailableAddresses(opts.networkName ?? networkId, networkId);
  }

  /**
   * The address to claim without reading the store: the preferred one (validated as for
   * requestAddress), or else the lowest assignable one not in `inUse`. The caller creates the
   * claim's key together with its own records in one transaction (Store.createAll); if that
   * loses a race, `addressesInUse` says what the store holds and the caller picks again.
   */
  pickAddress(
    networkId: string, pool: IpamPool,
    opts: {
      readonly preferred?: string;
      readonly inUse: ReadonlySet<string>;
      readonly networkName?: string;
      /** Pick at random among the lowest `among` free addresses (default 1): after a lost race,
       * so that hosts racing for one address do not all choose the same next one again. */
      readonly among?: number;
    },
  ): string {
    if (opts.preferred !== undefined && opts.preferred !== '') return this.validPreferred(pool, opts.preferred);
    const free: string[] = [];
    const among = Math.max(1, opts.among ?? 1);
    for (const addr of assignableAddresses(pool)) {
      const ip = formatAddr4(addr);
      if (!opts.inUse.has(ip)) free.push(ip);
      if (free.length >= among) break;
    }
    if (free.length === 0) throw msg.noAvailableAddresses(opts.networkName ?? networkId, networkId);
    return free[Math.floor(Math.random() * free.length)]!;
  }

  /** The key and value that reserve `ip` on the network for `owner`. */
  addressClaim(networkId: string, ip: string, owner: string): { key: string; value: string } {
    return { key: this.addrPrefix(networkId) + ip, value: JSON.stringify({ owner }) };
  }

  /** Every address of the network the store holds a reservation for. */
  async addressesInUse(networkId: string): Promise<Set<string>> {
    const prefix = this.addrPrefix(networkId);
    const listing = await this.store.list(prefix);
    return new Set(listing.items.map((kv) => kv.key.slice(prefix.length)));
  }

  /** Free an address. Safe to repeat. */
  async releaseAddress(networkId: string, ip: string): Promise<void> {
    await this.store.delete(this.addrPrefix(networkId) + ip);
  }

  private async reservePreferred(
    networkId: string, pool: IpamPool, preferred: string, value: string, put: { lease: Lease } | undefined,
  ): Promise<string> {
    const ip = this.validPreferred(pool, preferred);
    if (!(await this.store.create(this.addrPrefix(networkId) + ip, value, put))) throw msg.addressInUse();
    return ip;
  }

  private validPreferred(pool: IpamPool, preferred: string): string {
    const addr = parseAddr4(preferred);
    if (addr === undefined) throw msg.badPreferredAddress(preferred);
    if (!poolContains(pool, addr)) throw msg.addressNotInNetwork(preferred);
    // moby reserves these in the pool's bitmap, so asking for one says it is in use.
    if (unassignable(pool).has(addr)) throw msg.addressInUse();
    return formatAddr4(addr);
  }

  private get poolsKey(): string {
    return `${this.prefix}pools`;
  }

  private addrPrefix(networkId: string): string {
    return `${this.prefix}addr/${networkId}/`;
  }
}
