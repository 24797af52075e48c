// The pools of one address space: a single JSON document, changed only through compare-and-swap,
// so two overlapping requests can never both be written. Everything here is pure: it turns the
// current document and a request into the next document, or throws the error Docker would give.

import type { IpamPool, IpamPoolRequest } from '../cluster/types.js';
import {
  blockSize, contains, firstAddr, formatAddr4, formatPrefix4, lastAddr, mustParseAddr4, mustParsePrefix4,
  overlaps, parsePrefix4, type Prefix4,
} from './cidr.js';
import * as msg from './messages.js';
import { normalizePoolRequest, poolRequestProblems } from './validate.js';

/** A block of address space to split into subnets of `/size` (moby's NetworkToSplit). */
export interface DefaultPool {
  readonly base: string;
  readonly size: number;
}

/** moby ipamutils globalScopeDefaultNetworks: overlay networks get 10.0.0.0/24, 10.0.1.0/24, … */
export const GLOBAL_DEFAULT_POOLS: readonly DefaultPool[] = [{ base: '10.0.0.0/8', size: 24 }];

/** moby ipamutils localScopeDefaultNetworks: the default bridge gets 172.17.0.0/16, then 172.18.0.0/16, … */
export const LOCAL_DEFAULT_POOLS: readonly DefaultPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

export interface StoredPool extends IpamPool {
  readonly networkId: string;
}

export interface PoolsDocument {
  readonly pools: readonly StoredPool[];
}

export const emptyPools = (): PoolsDocument => ({ pools: [] });

export interface SplitPool {
  readonly base: Prefix4;
  readonly size: number;
}

/** Check a default pool list once, at start-up: a bad one is a configuration bug, not a request error. */
export function parseDefaultPools(pools: readonly DefaultPool[]): SplitPool[] {
  return pools.map(({ base, size }) => {
    const prefix = parsePrefix4(base);
    if (prefix === undefined) throw new Error(`default address pool ${JSON.stringify(base)} is not an IPv4 CIDR block`);
    if (!Number.isInteger(size) || size < prefix.bits || size > 32) {
      throw new Error(`default address pool ${base}: size /${size} must be between /${prefix.bits} and /32`);
    }
    return { base: { addr: firstAddr(prefix), bits: prefix.bits }, size };
  });
}

/**
 * The lowest `/size` block of the first default pool that still has one, overlapping nothing
 * in `taken`. Jumps past each overlapping allocation instead of stepping block by block, so a
 * busy /8 costs O(pools × taken), not O(2^16 × taken).
 */
export function nextDefaultSubnet(taken: readonly Prefix4[], defaults: readonly SplitPool[]): Prefix4 | undefined {
  for (const { base, size } of defaults) {
    const step = blockSize(size);
    const end = lastAddr(base);
    let candidate = firstAddr(base);
    while (candidate + step - 1 <= end) {
      const block: Prefix4 = { addr: candidate, bits: size };
      const hits = taken.filter((t) => overlaps(t, block));
      if (hits.length === 0) return block;
      const pastHits = Math.max(...hits.map(lastAddr)) + 1;
      candidate = Math.ceil(pastHits / step) * step;
    }
  }
  return undefined;
}

/**
 * The network and broadcast addresses, which are never handed out; a /31 or /32 has neither
 * (RFC 3021), as in moby's defaultipam newPoolData.
 */
export function reservedAddresses(subnet: Prefix4): number[] {
  return subnet.bits <= 30 ? [firstAddr(subnet), lastAddr(subnet)] : [];
}

/** Validate a request against the current pools and return the document with it added. */
export function addPool(
  doc: PoolsDocument,
  networkId: string,
  request: IpamPoolRequest,
  defaults: readonly SplitPool[],
): { doc: PoolsDocument; pool: IpamPool } {
  const problems = poolRequestProblems(request);
  if (problems.length > 0) throw msg.invalidNetworkConfig(problems);
  const req = normalizePoolRequest(request);

  const taken = doc.pools.map((p) => mustParsePrefix4(p.subnet));
  let subnet: Prefix4;
  if (req.subnet !== undefined) {
    subnet = mustParsePrefix4(req.subnet);
    // moby skips this check when an ip-range is given (moby/moby#46756); Weft does not, so
    // two networks never share addresses.
    if (taken.some((t) => overlaps(t, subnet))) throw msg.poolOverlap();
  } else {
    const next = nextDefaultSubnet(taken, defaults);
    if (next === undefined) throw msg.noMoreSubnets();
    subnet = next;
  }

  const reserved = new Set(reservedAddresses(subnet));
  let gateway: number;
  if (req.gateway !== undefined) {
    gateway = mustParseAddr4(req.gateway);
    if (reserved.has(gateway)) throw msg.gatewayTaken(req.gateway);
  } else {
    gateway = firstFree(subnet, reserved);
  }
  reserved.add(gateway);

  const auxAddresses: Record<string, string> = {};
  for (const [name, text] of Object.entries(req.auxAddresses ?? {})) {
    const aux = mustParseAddr4(text);
    if (reserved.has(aux)) throw msg.auxTaken(name, text);
    reserved.add(aux);
    auxAddresses[name] = formatAddr4(aux);
  }

  const pool: IpamPool = {
    subnet: formatPrefix4(subnet),
    ...(req.ipRange !== undefined ? { ipRange: formatPrefix4(mustParsePrefix4(req.ipRange)) } : {}),
    gateway: formatAddr4(gateway),
    auxAddresses,
  };
  return { doc: { pools: [...doc.pools, { networkId, ...pool }] }, pool };
}

export function removePools(doc: PoolsDocument, networkId: string): PoolsDocument {
  return { pools: doc.pools.filter((p) => p.networkId !== networkId) };
}

export function poolsOf(doc: PoolsDocument, networkId: string): StoredPool[] {
  return doc.pools.filter((p) => p.networkId === networkId);
}

function firstFree(subnet: Prefix4, reserved: ReadonlySet<number>): number {
  for (let a = firstAddr(subnet); a <= lastAddr(subnet); a++) {
    if (!reserved.has(a)) return a;
  }
  // Unreachable: reserved holds at most the two ends of a subnet of four or more addresses.
  throw new Error(`no address for a gateway in ${formatPrefix4(subnet)}`);
}

/** Whether `address` lies in the pool's subnet: moby lets `--ip` name any of it, even outside the ip-range. */
export function poolContains(pool: IpamPool, address: number): boolean {
  return contains(mustParsePrefix4(pool.subnet), address);
}
