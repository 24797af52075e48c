// The seam between the runtime and container networking: the runtime calls setUp before a
// container's process starts (the network must be ready first) and tearDown after it has exited
// (stop, kill, crash) and before the container is removed. Implementations live elsewhere (the
// cluster/driver layers); loopback-networking.ts is the trivial one (`--net none`).

/** What `--network-alias`, `--ip`, … asked for on one network (Docker's EndpointSettings input). */
export interface EndpointRequest {
  readonly aliases: readonly string[];
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  readonly macAddress?: string;
  readonly driverOpts?: Readonly<Record<string, string>>;
}

export interface ContainerNetworkSpec {
  /** 64 hex */
  readonly id: string;
  /** Without the leading slash. */
  readonly name: string;
  readonly hostname: string;
  readonly domainname: string;
  /** HostConfig.NetworkMode as sent: `default`, `bridge`, `host`, `none`, a network name or id. */
  readonly networkMode: string;
  /** NetworkingConfig.EndpointsConfig by network name; may be empty (then NetworkMode alone). */
  readonly endpointsConfig: Readonly<Record<string, EndpointRequest>>;
}

export interface ContainerNetworkSetup {
  /** The namespace the process joins (`nsenter --net=`); null = weftd's own (host) namespace. */
  readonly netnsPath: string | null;
  /** Content of the container's /etc/hosts. */
  readonly hosts: string;
  /** Content of the container's /etc/resolv.conf. */
  readonly resolvConf: string;
}

export interface ContainerNetworking {
  /**
   * Prepares the container's network before its process starts. If it throws, the start fails
   * and tearDown is still called (best effort) so a partial setup can be undone.
   */
  setUp(c: ContainerNetworkSpec): Promise<ContainerNetworkSetup>;
  /**
   * Undoes setUp. Must be idempotent: it is called again after a weftd restart for containers
   * that were running, and after a failed setUp.
   */
  tearDown(c: ContainerNetworkSpec & { readonly netnsPath: string | null }): Promise<void>;
}
