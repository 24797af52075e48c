// Which addresses of a pool may go to containers, and in what order they are tried. Pure.

import type { IpamPool } from '../cluster/types.js';
import { firstAddr, lastAddr, mustParseAddr4, mustParsePrefix4 } from './cidr.js';
import { reservedAddresses } from './pools.js';

/** Addresses of the subnet never handed out: network, broadcast, gateway and auxiliary addresses. */
export function unassignable(pool: IpamPool): Set<number> {
  const subnet = mustParsePrefix4(pool.subnet);
  return new Set([
    ...reservedAddresses(subnet),
    mustParseAddr4(pool.gateway),
    ...Object.values(pool.auxAddresses).map(mustParseAddr4),
  ]);
}

/**
 * Every assignable address of the pool's ip-range (or its subnet), lowest first, so the first
 * container on a fresh 10.0.0.0/24 gets 10.0.0.2, as moby's default (non-serial) allocation does.
 */
export function* assignableAddresses(pool: IpamPool): Generator<number> {
  const range = mustParsePrefix4(pool.ipRange ?? pool.subnet);
  const skip = unassignable(pool);
  for (let a = firstAddr(range); a <= lastAddr(range); a++) {
    if (!skip.has(a)) yield a;
  }
}
