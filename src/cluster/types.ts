// Plain records of the control plane, as stored (JSON) and as handed to the API layer.
// No behaviour here: services in src/cluster read and write these through the Store.

export type NetworkDriverName = 'overlay' | 'bridge' | 'host' | 'null';
export type NetworkScope = 'global' | 'local';

/** One resolved IPAM config entry (Docker's IPAMConfig): the subnet is always set. */
export interface IpamPool {
  readonly subnet: string;
  readonly ipRange?: string;
  readonly gateway: string;
  readonly auxAddresses: Readonly<Record<string, string>>;
}

/** What a user asked for in one IPAM config entry; anything may be left to the allocator. */
export interface IpamPoolRequest {
  readonly subnet?: string;
  readonly ipRange?: string;
  readonly gateway?: string;
  readonly auxAddresses?: Readonly<Record<string, string>>;
}

export interface NetworkRecord {
  readonly id: string; // 64 hex
  readonly name: string;
  readonly driver: NetworkDriverName;
  readonly scope: NetworkScope;
  readonly created: string; // RFC3339Nano
  readonly internal: boolean;
  readonly attachable: boolean;
  readonly ingress: boolean;
  readonly enableIPv6: boolean;
  readonly ipam: {
    readonly driver: string;
    readonly options: Readonly<Record<string, string>>;
    readonly config: readonly IpamPool[];
  };
  readonly options: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** Overlay only: the VXLAN network identifier. */
  readonly vni?: number;
  /** MTU of the container interfaces on this network. */
  readonly mtu: number;
  /** The predefined bridge/host/none networks cannot be removed. */
  readonly predefined?: boolean;
}

/** A validated `network create` request (the API validates the Docker JSON into this). */
export interface NetworkCreateRequest {
  readonly name: string;
  readonly driver: NetworkDriverName;
  readonly internal: boolean;
  readonly attachable: boolean;
  readonly ingress: boolean;
  readonly enableIPv6: boolean;
  readonly ipam: {
    readonly driver: string;
    readonly options: Readonly<Record<string, string>>;
    readonly config: readonly IpamPoolRequest[];
  };
  readonly options: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

export interface EndpointRecord {
  readonly id: string; // 64 hex
  readonly networkId: string;
  readonly containerId: string;
  /** Container name without the leading slash. */
  readonly name: string;
  readonly aliases: readonly string[];
  /** Host (machine) name that owns the endpoint. */
  readonly host: string;
  /** The owning host's underlay (VXLAN tunnel endpoint) address. */
  readonly vtep: string;
  /** Address with prefix length, e.g. 10.0.0.2/24. */
  readonly ipv4: string;
  readonly mac: string;
}

export interface HostRecord {
  readonly name: string;
  /** Underlay address peers send VXLAN to. */
  readonly advertise: string;
  readonly port: number;
  readonly started: string;
}

/** A network as shown to users: the record plus the endpoints attached, keyed by container id. */
export interface NetworkView extends NetworkRecord {
  readonly containers: Readonly<Record<string, EndpointRecord>>;
}
