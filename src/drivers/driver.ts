// The Driver contract: how a network of one kind is plugged into on this host. Small on purpose
// (STYLE §1): the cluster layer decides *what* (endpoints, peers), a driver only does *how*.
import type { EndpointRecord, NetworkDriverName, NetworkRecord } from '../cluster/types.js';
import { type ContainerPlug, vethName } from '../dataplane/index.js';

/** One endpoint of a local container on a network, with where to plug it. */
export interface Attachment {
  readonly network: NetworkRecord;
  readonly endpoint: EndpointRecord;
  /** Network namespace name of the container. */
  readonly containerNs: string;
  /** Interface name inside the container (eth0, eth1, …). */
  readonly ifName: string;
  /** Whether this network carries the container's default route. */
  readonly defaultRoute: boolean;
  /** The container's namespace was made for this start and holds nothing but lo, still down. */
  readonly freshNamespace: boolean;
}

export interface Driver {
  readonly name: NetworkDriverName;
  /**
   * Plug the endpoint in, so the container can reach every remote peer before its process
   * starts. `peers()` reads them at a store revision no older than the call; a driver whose
   * network is already joined here (its peers kept current by updatePeers) need not ask.
   */
  join(attachment: Attachment, peers: () => Promise<readonly EndpointRecord[]>): Promise<void>;
  /** Unplug it; safe to repeat. */
  leave(attachment: Attachment): Promise<void>;
  /** Remote endpoints of a joined network came or went. Ignored for networks not joined here. */
  updatePeers(network: NetworkRecord, added: readonly EndpointRecord[], removed: readonly EndpointRecord[]): Promise<void>;
}

/** The interface-level facts every driver plugs a container in with. */
export function plugOf(a: Attachment): ContainerPlug {
  const pool = a.network.ipam.config[0]!;
  return {
    containerNs: a.containerNs,
    hostIfName: vethName(a.endpoint.id),
    ifName: a.ifName,
    mac: a.endpoint.mac,
    addressCidr: a.endpoint.ipv4,
    gateway: pool.gateway,
    mtu: a.network.mtu,
    defaultRoute: a.defaultRoute,
    fresh: a.freshNamespace,
  };
}

/** `10.0.0.1/24` from a pool: the address a network's bridge carries. */
export const gatewayCidr = (net: NetworkRecord) => {
  const pool = net.ipam.config[0]!;
  return `${pool.gateway}/${pool.subnet.split('/')[1]}`;
};

/**
 * Which local endpoints each network has. A network's per-host plumbing (a sandbox, a bridge)
 * is made for its first local endpoint and removed with its last.
 */
export class LocalMembers {
  private readonly byNetwork = new Map<string, Set<string>>();

  has(networkId: string): boolean {
    return this.byNetwork.has(networkId);
  }

  /** Record a joined endpoint; set `first` up before calling when `has()` was false. */
  add(networkId: string, endpointId: string): void {
    let set = this.byNetwork.get(networkId);
    if (!set) this.byNetwork.set(networkId, (set = new Set()));
    set.add(endpointId);
  }

  /** Forget an endpoint; true when it was the network's last one here. */
  remove(networkId: string, endpointId: string): boolean {
    const set = this.byNetwork.get(networkId);
    set?.delete(endpointId);
    if (set && set.size > 0) return false;
    this.byNetwork.delete(networkId);
    return true;
  }
}
