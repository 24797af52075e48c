// The Driver contract: how a network of one kind is plugged into on this host. Small on purpose
// (STYLE §1): the cluster layer decides *what* (endpoints, peers), a driver only does *how*.
import type { EndpointRecord, NetworkDriverName, NetworkRecord } from '../cluster/types.js';

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
}

export interface Driver {
  readonly name: NetworkDriverName;
  /**
   * Plug the endpoint in. `peers` is every remote endpoint of the network at a store revision
   * no older than the call, so the container can reach all of them before its process starts.
   */
  join(attachment: Attachment, peers: readonly EndpointRecord[]): Promise<void>;
  /** Unplug it; safe to repeat. */
  leave(attachment: Attachment): Promise<void>;
  /** Remote endpoints of a joined network came or went. Ignored for networks not joined here. */
  updatePeers(network: NetworkRecord, added: readonly EndpointRecord[], removed: readonly EndpointRecord[]): Promise<void>;
}
