// A network as Docker JSON, in moby's field order: `docker network inspect` re-indents the
// raw bytes, so the order of keys here is what users see. Used for list items (Containers {})
// and for inspect (Containers filled, cluster-wide, each entry naming the host that owns it).

import type { EndpointRecord, IpamPool, NetworkView } from '../../cluster/types.js';

/** Go's zero time, which is what moby would print rather than an empty string. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface DockerIpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface DockerEndpointResource {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
  /** Weft's addition: inspect is cluster-wide, so say which host runs the container. */
  Host: string;
}

export interface DockerNetwork {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string>; Config: DockerIpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, DockerEndpointResource>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** Go marshals maps with their keys sorted; do the same so output matches Docker's. */
function sorted<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}

function ipamConfig(pool: IpamPool): DockerIpamConfig {
  // Each key is omitempty in moby's IPAMConfig.
  const out: DockerIpamConfig = {};
  if (pool.subnet) out.Subnet = pool.subnet;
  if (pool.ipRange) out.IPRange = pool.ipRange;
  if (pool.gateway) out.Gateway = pool.gateway;
  if (Object.keys(pool.auxAddresses).length > 0) out.AuxiliaryAddresses = sorted(pool.auxAddresses);
  return out;
}

function endpoint(ep: EndpointRecord): DockerEndpointResource {
  return {
    Name: ep.name,
    EndpointID: ep.id,
    MacAddress: ep.mac,
    IPv4Address: ep.ipv4,
    IPv6Address: '',
    Host: ep.host,
  };
}

/** `withContainers` is false for list items, whose Containers moby leaves empty. */
export function networkToDocker(n: NetworkView, withContainers: boolean): DockerNetwork {
  const containers: Record<string, DockerEndpointResource> = {};
  if (withContainers) {
    for (const [containerId, ep] of Object.entries(sorted(n.containers))) containers[containerId] = endpoint(ep);
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created || ZERO_TIME,
    Scope: n.scope,
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: n.enableIPv6,
    IPAM: {
      Driver: n.ipam.driver,
      Options: sorted(n.ipam.options),
      Config: n.ipam.config.map(ipamConfig),
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: n.ingress,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: sorted(n.options),
    Labels: sorted(n.labels),
  };
}
