// VXLAN network identifiers, unique cluster-wide. Each VNI is its own key (`vni/<n>`), taken by
// an atomic create: two hosts creating networks at once can never get the same one, and no
// shared bitmap is rewritten per allocation (Docker classic kept one, `idm/vxlan-id`).
//
// VNIs start at 256, above the 802.1Q VLAN id range, as Docker's overlay driver does
// (vxlanIDStart), and stop at 2^24 − 1, the largest the VXLAN header holds.

import { unavailable } from '../errors.js';
import type { Store } from '../store/store.js';

export const VNI_MIN = 256;
export const VNI_MAX = 2 ** 24 - 1;
const PREFIX = 'vni/';

const vniKey = (vni: number) => `${PREFIX}${vni}`;

/**
 * Take the lowest free VNI for the network. If the network already holds one (a retried
 * create), that one is returned, so a retry never leaks a VNI. `range` narrows the span (tests).
 */
export async function allocateVni(
  store: Store,
  networkId: string,
  range: { readonly min?: number; readonly max?: number } = {},
): Promise<number> {
  const min = range.min ?? VNI_MIN;
  const max = range.max ?? VNI_MAX;
  // One listing, then creates in order; a create lost to another host moves on to the next.
  const listing = await store.list(PREFIX);
  const taken = new Set<number>();
  for (const kv of listing.items) {
    const vni = Number(kv.key.slice(PREFIX.length));
    if (ownerOf(kv.value) === networkId) return vni;
    taken.add(vni);
  }
  const value = JSON.stringify({ networkId });
  for (let vni = min; vni <= max; vni++) {
    if (taken.has(vni)) continue;
    if (await store.create(vniKey(vni), value)) return vni;
  }
  // moby's overlay driver words this "could not obtain vxlan id for pool <subnet>: ..." (a 500).
  throw unavailable(`could not obtain vxlan id for network ${networkId}: all ${max - min + 1} VNIs are in use`);
}

/** Free a VNI. Safe to repeat. */
export async function releaseVni(store: Store, vni: number): Promise<void> {
  await store.delete(vniKey(vni));
}

function ownerOf(value: string): string | undefined {
  try {
    const parsed = JSON.parse(value) as { networkId?: unknown };
    return typeof parsed.networkId === 'string' ? parsed.networkId : undefined;
  } catch {
    return undefined;
  }
}
