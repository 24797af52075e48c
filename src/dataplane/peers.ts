// Remote endpoints as static entries on vxlan0 (STYLE §5): a permanent neighbour entry (IP → MAC),
// which `proxy` uses to answer ARP locally, and a permanent FDB entry (MAC → remote VTEP), which
// steers the frame. The control plane supplies them from the store; nothing waits on a miss.
import type { FdbEntry, IpNeigh } from './iproute.js';
import * as v from './validate.js';

export interface PeerSpec {
  readonly ip: string;
  /** The endpoint's MAC (macFromIp(ip) by convention). */
  readonly mac: string;
  /** The underlay address of the host that owns the endpoint. */
  readonly vtep: string;
}

export const VXLAN_DEV = 'vxlan0';

export function validatePeers(peers: readonly PeerSpec[]): PeerSpec[] {
  return peers.map((p) => ({ ip: v.ipv4(p.ip), mac: v.mac(p.mac), vtep: v.ipv4(p.vtep) }));
}

export const neighReplace = (p: PeerSpec): string => `neigh replace ${p.ip} lladdr ${p.mac} dev ${VXLAN_DEV} nud permanent`;
export const fdbReplace = (p: PeerSpec): string => `fdb replace ${p.mac} dev ${VXLAN_DEV} dst ${p.vtep} self permanent`;
/** Given dst, the kernel deletes only the entry pointing there, so a newer entry for the same MAC
 * (the address now lives on another host) survives a late removal of the old one. */
export const fdbDel = (mac: string, dst: string): string => `fdb del ${mac} dev ${VXLAN_DEV} dst ${dst} self`;
export const neighDel = (ip: string): string => `neigh del ${ip} dev ${VXLAN_DEV}`;

/**
 * `ip neigh del` of a missing entry exits the whole batch at once (exit 2), `-force` or not. So an
 * incremental removal first makes sure the entry exists, which costs nothing, instead of paying a
 * read (a process, ~6 ms) on every watch event.
 */
export function neighRemoveLines(p: PeerSpec): string[] {
  return [neighReplace(p), neighDel(p.ip)];
}

export interface PeerPlan {
  readonly ipLines: string[];
  readonly bridgeLines: string[];
}

/**
 * What turns the current entries of vxlan0 into exactly `desired`. Only the device's own FDB
 * (`self`) is ours; the bridge's FDB entries for the port (`master br0`) are the bridge's.
 * If two peers name the same IP or MAC, the later one wins.
 */
export function planPeers(neighs: readonly IpNeigh[], fdb: readonly FdbEntry[], desired: readonly PeerSpec[]): PeerPlan {
  const wantNeigh = new Map(desired.map((p) => [p.ip, p.mac]));
  const wantFdb = new Map(desired.map((p) => [p.mac, p.vtep]));
  const ipLines: string[] = [];
  const bridgeLines: string[] = [];

  const haveNeigh = new Set<string>();
  for (const n of neighs) {
    const mac = wantNeigh.get(n.dst);
    if (mac === undefined) ipLines.push(neighDel(n.dst));
    else if (n.lladdr === mac && (n.state ?? []).includes('PERMANENT')) haveNeigh.add(n.dst);
  }
  for (const [ip, mac] of wantNeigh) if (!haveNeigh.has(ip)) ipLines.push(neighReplace({ ip, mac, vtep: '' }));

  const haveFdb = new Set<string>();
  for (const e of fdb) {
    if (!(e.flags ?? []).includes('self') || e.dst === undefined) continue;
    const vtep = wantFdb.get(e.mac);
    if (vtep === undefined) bridgeLines.push(fdbDel(e.mac, e.dst));
    else if (vtep === e.dst && e.state === 'permanent') haveFdb.add(e.mac);
    // Otherwise `fdb replace` below rewrites the entry's destination in place.
  }
  for (const [mac, vtep] of wantFdb) if (!haveFdb.has(mac)) bridgeLines.push(fdbReplace({ ip: '', mac, vtep }));

  return { ipLines, bridgeLines };
}
