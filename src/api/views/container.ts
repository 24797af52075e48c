// Containers as Docker JSON, in moby's field order (`docker inspect` re-indents the raw bytes, so
// the order of keys is what users see): inspect (types.ContainerJSON) and ps (container.Summary).
// The runtime's docker-shapes.ts renders the parts it owns; networks come from the cluster.

import { createHash } from 'node:crypto';
import { dockerConfig, dockerInspectBase, psCommand, psStatus } from '../../runtime/docker-shapes.js';
import { parseRfc3339Ns } from '../../runtime/timestamps.js';
import type { ContainerNetworkView, ContainerView } from '../backend.js';

/** HostConfig as docker 28.2.2 sends it (trace 07): the defaults for keys a client left out. */
const DEFAULT_HOST_CONFIG: Readonly<Record<string, unknown>> = {
  Binds: null,
  ContainerIDFile: '',
  LogConfig: { Type: '', Config: {} },
  NetworkMode: 'default',
  PortBindings: {},
  RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
  AutoRemove: false,
  VolumeDriver: '',
  VolumesFrom: null,
  ConsoleSize: [0, 0],
  CapAdd: null,
  CapDrop: null,
  CgroupnsMode: '',
  Dns: [],
  DnsOptions: [],
  DnsSearch: [],
  ExtraHosts: null,
  GroupAdd: null,
  IpcMode: '',
  Cgroup: '',
  Links: null,
  OomScoreAdj: 0,
  PidMode: '',
  Privileged: false,
  PublishAllPorts: false,
  ReadonlyRootfs: false,
  SecurityOpt: null,
  UTSMode: '',
  UsernsMode: '',
  ShmSize: 0,
  Isolation: '',
  CpuShares: 0,
  Memory: 0,
  NanoCpus: 0,
  CgroupParent: '',
  BlkioWeight: 0,
  BlkioWeightDevice: [],
  BlkioDeviceReadBps: [],
  BlkioDeviceWriteBps: [],
  BlkioDeviceReadIOps: [],
  BlkioDeviceWriteIOps: [],
  CpuPeriod: 0,
  CpuQuota: 0,
  CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0,
  CpusetCpus: '',
  CpusetMems: '',
  Devices: [],
  DeviceCgroupRules: null,
  DeviceRequests: null,
  MemoryReservation: 0,
  MemorySwap: 0,
  MemorySwappiness: -1,
  OomKillDisable: false,
  PidsLimit: 0,
  Ulimits: [],
  CpuCount: 0,
  CpuPercent: 0,
  IOMaximumIOps: 0,
  IOMaximumBandwidth: 0,
  MaskedPaths: null,
  ReadonlyPaths: null,
};

/** moby resolves `default` to the platform's default network, which is `bridge`. */
export const displayNetworkMode = (mode: string) => (mode === 'default' || mode === '' ? 'bridge' : mode);

function hostConfig(view: ContainerView): Record<string, unknown> {
  const extras = view.record.extras as { hostConfig?: Record<string, unknown> } | undefined;
  return {
    ...DEFAULT_HOST_CONFIG,
    ...(extras?.hostConfig ?? {}),
    NetworkMode: displayNetworkMode(view.record.networkMode),
    AutoRemove: view.record.autoRemove,
  };
}

const shortId = (id: string) => id.slice(0, 12);

/** moby's network.EndpointSettings, for inspect and ps. */
export function endpointSettings(view: ContainerView, net: ContainerNetworkView) {
  const ep = net.endpoint;
  const [ip, prefix] = ep ? ep.ipv4.split('/') : ['', '0'];
  const aliases = net.request.aliases;
  // Docker ≥ 25 lists the names a container answers to on user-defined networks; none on the defaults.
  const dnsNames = net.predefined ? null : [view.record.name, shortId(view.record.id), ...aliases];
  return {
    IPAMConfig: net.request.ipv4Address ? { IPv4Address: net.request.ipv4Address } : null,
    Links: null,
    Aliases: net.predefined || aliases.length === 0 ? null : [...aliases],
    MacAddress: ep?.mac ?? '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: net.networkId,
    EndpointID: ep?.id ?? '',
    Gateway: ep ? net.gateway : '',
    IPAddress: ip ?? '',
    IPPrefixLen: Number(prefix ?? 0),
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: dnsNames,
  };
}

function networksObject(view: ContainerView): Record<string, ReturnType<typeof endpointSettings>> {
  const out: Record<string, ReturnType<typeof endpointSettings>> = {};
  for (const net of view.networks) out[net.name] = endpointSettings(view, net);
  return out;
}

function networkSettings(view: ContainerView) {
  const netns = view.record.netnsPath;
  // The legacy top-level fields describe the default bridge only, as in Docker.
  const bridge = view.networks.find((n) => n.name === 'bridge' && n.endpoint);
  const b = bridge ? endpointSettings(view, bridge) : undefined;
  return {
    Bridge: '',
    SandboxID: netns ? createHash('sha256').update(netns).digest('hex') : '',
    SandboxKey: netns ?? '',
    Ports: {},
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: b?.EndpointID ?? '',
    Gateway: b?.Gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: b?.IPAddress ?? '',
    IPPrefixLen: b?.IPPrefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: b?.MacAddress ?? '',
    Networks: networksObject(view),
  };
}

/** `GET /containers/{id}/json`. */
export function containerToDocker(view: ContainerView) {
  const base = dockerInspectBase(view.record);
  return {
    ...base,
    ExecIDs: view.execIds.length > 0 ? [...view.execIds] : null,
    HostConfig: hostConfig(view),
    GraphDriver: { Data: null, Name: 'overlay2' },
    Mounts: [],
    Config: dockerConfig(view.record),
    NetworkSettings: networkSettings(view),
  };
}

/** `GET /containers/json` items. `withSize` adds the SIZE column's fields (Weft does not measure them). */
export function containerSummary(view: ContainerView, nowMs: number, withSize: boolean) {
  const c = view.record;
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.config.image,
    ImageID: c.imageId,
    Command: psCommand(c),
    Created: Number(parseRfc3339Ns(c.created) / 1_000_000_000n),
    Ports: [],
    ...(withSize ? { SizeRw: 0, SizeRootFs: 0 } : {}),
    Labels: { ...c.config.labels },
    State: c.state.status,
    Status: psStatus(c, nowMs),
    HostConfig: { NetworkMode: displayNetworkMode(c.networkMode) },
    NetworkSettings: { Networks: networksObject(view) },
    Mounts: [],
  };
}
