// The API's view of the daemon: the few calls the HTTP handlers make. src/daemon implements
// these on top of the cluster services; tests use fakes (`satisfies NetworksBackend`). Failures
// are WeftErrors (src/errors.ts) whose kind picks the status and whose message is sent verbatim.

import type { NetworkCreateRequest, NetworkView } from '../cluster/types.js';

export type { NetworkCreateRequest, NetworkView } from '../cluster/types.js';

/** What `docker network connect` asks for one endpoint (Docker's EndpointSettings, validated). */
export interface EndpointRequest {
  /** Extra DNS names on this network (`--alias`). */
  readonly aliases: readonly string[];
  /** A fixed address (`--ip`), without prefix length. */
  readonly ipv4Address?: string;
  /** `--ip6`; Weft has no IPv6 endpoints, so the backend refuses it. */
  readonly ipv6Address?: string;
  readonly macAddress?: string;
  readonly driverOpts: Readonly<Record<string, string>>;
}

/** `network prune` filters, parsed; `matchesPruneFilters` (src/api/filters.ts) applies them. */
export interface NetworkPruneFilters {
  /** Only networks created before this instant (`until=`). */
  readonly until?: Date;
  /** `label=k` or `label=k=v`: every one must match. */
  readonly labels: readonly string[];
  /** `label!=k` or `label!=k=v`: skip networks that match all of them. */
  readonly labelsNot: readonly string[];
}

export interface NetworksBackend {
  /** Throws invalid (bad IPAM), conflict (name taken), forbidden (overlap) or not-found (driver). */
  create(req: NetworkCreateRequest): Promise<{ readonly id: string; readonly warning?: string }>;
  /** Every network in the cluster; `containers` may be left empty (list responses omit them). */
  list(): Promise<readonly NetworkView[]>;
  /** Exact id, then exact name, then unique id prefix; throws notFound('network X not found'). */
  get(ref: string): Promise<NetworkView>;
  /** Throws forbidden for predefined networks or networks with active endpoints. */
  remove(ref: string): Promise<void>;
  /** Removes unused, non-predefined networks matching the filters; returns their names. */
  prune(filters: NetworkPruneFilters): Promise<readonly string[]>;
  /** `container` is the reference as the user typed it (name, id or id prefix). */
  connect(ref: string, container: string, endpoint: EndpointRequest): Promise<void>;
  disconnect(ref: string, container: string, force: boolean): Promise<void>;
}

/** Facts about this daemon and its host for `GET /info`. */
export interface SystemInfo {
  /** Stable daemon id. */
  readonly id: string;
  /** The host's name (lab hosts have their own UTS namespace). */
  readonly name: string;
  readonly containers: { readonly running: number; readonly paused: number; readonly stopped: number };
  readonly images: number;
  /** Weft's release, shown as "Server Version". */
  readonly serverVersion: string;
  readonly kernelVersion: string;
  readonly operatingSystem: string;
  readonly ncpu: number;
  /** Bytes. */
  readonly memTotal: number;
  /** Network drivers available, e.g. ['bridge', 'host', 'null', 'overlay']. */
  readonly networkDrivers: readonly string[];
  readonly rootDir: string;
  /** Cluster store URL without credentials, as classic Docker's `ClusterStore`. */
  readonly clusterStore?: string;
  /** This host's advertise address (`ClusterAdvertise`). */
  readonly clusterAdvertise?: string;
  readonly warnings?: readonly string[];
}

/** Build facts for `GET /version`; the API versions themselves are the API layer's constants. */
export interface VersionInfo {
  readonly version: string;
  readonly gitCommit: string;
  /** RFC3339. */
  readonly buildTime: string;
  readonly kernelVersion: string;
}

export interface SystemBackend {
  info(): Promise<SystemInfo>;
  version(): Promise<VersionInfo>;
}

/** Everything the API server needs. Containers, images and exec join as optional slots later. */
export interface ApiBackend {
  readonly networks: NetworksBackend;
  readonly system: SystemBackend;
  readonly containers?: unknown;
  readonly images?: unknown;
}
