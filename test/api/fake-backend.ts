// An in-memory backend for API tests. It answers with the errors (kind + moby text) the real
// cluster services are expected to raise, so the tests pin the HTTP side of each of them.

import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { conflict, forbidden, invalid, notFound } from '../../src/errors.js';
import type {
  ApiBackend,
  EndpointRequest,
  NetworkCreateRequest,
  NetworkPruneFilters,
  NetworksBackend,
  NetworkView,
  SystemBackend,
} from '../../src/api/backend.js';
import type { EndpointRecord, NetworkRecord } from '../../src/cluster/types.js';
import { matchesPruneFilters } from '../../src/api/filters.js';

export const hexId = (seed: string) => createHash('sha256').update(seed).digest('hex');

/** The predefined networks, with the IDs of trace 03 so `network ls` output can be compared verbatim. */
export const PREDEFINED: readonly NetworkRecord[] = [
  predefined('bridge', 'bridge', '06f1ae4230b36eb9b2ec42d998f93009be0542a8f21f1db628a2f01962892b77', '172.17.0.0/16', '172.17.0.1'),
  predefined('host', 'host', '2ac34fa27a4b417a106ff75282fc9b5e918b81888a947aacc85e994f8ec9ddbd'),
  predefined('none', 'null', '9314aa56b622bbe4311bbb018e1b2bc41cf68948c80497b428206a95b2906598'),
];

function predefined(name: string, driver: NetworkRecord['driver'], id: string, subnet?: string, gateway?: string): NetworkRecord {
  return {
    id,
    name,
    driver,
    scope: 'local',
    created: '2026-11-28T15:50:00.000000001Z',
    internal: false,
    attachable: false,
    ingress: false,
    enableIPv6: false,
    ipam: { driver: 'default', options: {}, config: subnet ? [{ subnet, gateway: gateway!, auxAddresses: {} }] : [] },
    options: {},
    labels: {},
    mtu: 1500,
    predefined: true,
  };
}

interface ConnectCall {
  readonly ref: string;
  readonly container: string;
  readonly endpoint: EndpointRequest;
}

export class FakeNetworks implements NetworksBackend {
  readonly networks = new Map<string, NetworkRecord>();
  readonly endpoints = new Map<string, Map<string, EndpointRecord>>(); // network id → container id → endpoint
  readonly containers = new Map<string, string>([['web', hexId('container:web')]]); // name → id
  readonly createCalls: NetworkCreateRequest[] = [];
  readonly connectCalls: ConnectCall[] = [];
  readonly disconnectCalls: { ref: string; container: string; force: boolean }[] = [];
  readonly pruneCalls: NetworkPruneFilters[] = [];
  /** When set, every call fails with this (to test the error boundary). */
  failWith: unknown;
  private created = 0;

  constructor() {
    for (const n of PREDEFINED) this.networks.set(n.id, n);
  }

  private check(): void {
    if (this.failWith !== undefined) throw this.failWith;
  }

  /** Put a network in place directly (fixed id and time, as in the traces). */
  seed(n: Partial<NetworkRecord> & Pick<NetworkRecord, 'name'>): NetworkRecord {
    const record: NetworkRecord = {
      id: hexId(`net:${n.name}`),
      driver: 'overlay',
      scope: n.driver === 'bridge' ? 'local' : 'global',
      created: '2026-11-28T15:53:32.522Z',
      internal: false,
      attachable: false,
      ingress: false,
      enableIPv6: false,
      ipam: { driver: 'default', options: {}, config: [] },
      options: {},
      labels: {},
      mtu: 1450,
      ...n,
    };
    this.networks.set(record.id, record);
    return record;
  }

  /** Attach a container directly. */
  attach(networkRef: string, ep: Omit<EndpointRecord, 'networkId'>): void {
    const n = this.resolve(networkRef);
    const eps = this.endpoints.get(n.id) ?? new Map<string, EndpointRecord>();
    eps.set(ep.containerId, { ...ep, networkId: n.id });
    this.endpoints.set(n.id, eps);
  }

  private resolve(ref: string): NetworkRecord {
    const all = [...this.networks.values()];
    const byId = all.find((n) => n.id === ref);
    if (byId) return byId;
    const byName = all.filter((n) => n.name === ref);
    if (byName.length === 1) return byName[0]!;
    const byPrefix = all.filter((n) => n.id.startsWith(ref));
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw invalid(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    throw notFound(`network ${ref} not found`);
  }

  private view(n: NetworkRecord): NetworkView {
    return { ...n, containers: Object.fromEntries(this.endpoints.get(n.id) ?? []) };
  }

  async create(req: NetworkCreateRequest): Promise<{ id: string; warning?: string }> {
    this.check();
    this.createCalls.push(req);
    if ([...this.networks.values()].some((n) => n.name === req.name)) throw conflict(`network with name ${req.name} already exists`);
    const config = req.ipam.config.map((c) => {
      const subnet = c.subnet ?? `10.${++this.created}.0.0/24`;
      let net: [ipaddr.IPv4 | ipaddr.IPv6, number];
      try {
        net = ipaddr.parseCIDR(subnet);
      } catch {
        throw invalid(`invalid network config:\ninvalid subnet ${subnet}: invalid CIDR block notation`);
      }
      if (c.gateway !== undefined && !(ipaddr.isValid(c.gateway) && ipaddr.parse(c.gateway).match(net))) {
        throw invalid(`invalid network config:\ninvalid gateway ${c.gateway}: parent subnet ${subnet} doesn't contain this address`);
      }
      for (const other of this.networks.values()) {
        for (const p of other.ipam.config) {
          const o = ipaddr.parseCIDR(p.subnet);
          if (o[0].kind() === net[0].kind() && (net[0].match(o) || o[0].match(net))) {
            throw forbidden('invalid pool request: Pool overlaps with other one on this address space');
          }
        }
      }
      return { subnet, ...(c.ipRange ? { ipRange: c.ipRange } : {}), gateway: c.gateway ?? subnet.replace(/0\/\d+$/, '1'), auxAddresses: c.auxAddresses ?? {} };
    });
    const n = this.seed({
      name: req.name,
      driver: req.driver,
      scope: req.driver === 'overlay' ? 'global' : 'local',
      internal: req.internal,
      attachable: req.attachable,
      ingress: req.ingress,
      enableIPv6: req.enableIPv6,
      ipam: { driver: req.ipam.driver, options: req.ipam.options, config },
      options: req.options,
      labels: req.labels,
    });
    return { id: n.id };
  }

  async list(): Promise<readonly NetworkView[]> {
    this.check();
    return [...this.networks.values()].map((n) => this.view(n));
  }

  async get(ref: string): Promise<NetworkView> {
    this.check();
    return this.view(this.resolve(ref));
  }

  async remove(ref: string): Promise<void> {
    this.check();
    const n = this.resolve(ref);
    if (n.predefined) throw forbidden(`${n.name} is a pre-defined network and cannot be removed`);
    if ((this.endpoints.get(n.id)?.size ?? 0) > 0) {
      throw forbidden(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    }
    this.networks.delete(n.id);
  }

  async prune(filters: NetworkPruneFilters): Promise<readonly string[]> {
    this.check();
    this.pruneCalls.push(filters);
    const deleted: string[] = [];
    for (const n of [...this.networks.values()]) {
      if (n.predefined || (this.endpoints.get(n.id)?.size ?? 0) > 0) continue;
      if (!matchesPruneFilters(n, filters)) continue;
      this.networks.delete(n.id);
      deleted.push(n.name);
    }
    return deleted;
  }

  async connect(ref: string, container: string, endpoint: EndpointRequest): Promise<void> {
    this.check();
    this.connectCalls.push({ ref, container, endpoint });
    const n = this.resolve(ref);
    const id = this.containers.get(container);
    if (id === undefined) throw notFound(`No such container: ${container}`);
    if (this.endpoints.get(n.id)?.has(id)) throw forbidden(`endpoint with name ${container} already exists in network ${n.name}`);
    this.attach(n.id, {
      id: hexId(`ep:${n.id}:${id}`),
      containerId: id,
      name: container,
      aliases: endpoint.aliases,
      host: 'host1',
      vtep: '192.0.2.11',
      ipv4: `${endpoint.ipv4Address ?? '10.0.0.2'}/24`,
      mac: '02:42:0a:00:00:02',
    });
  }

  async disconnect(ref: string, container: string, force: boolean): Promise<void> {
    this.check();
    this.disconnectCalls.push({ ref, container, force });
    const n = this.resolve(ref);
    const id = this.containers.get(container) ?? container;
    if (!this.endpoints.get(n.id)?.delete(id)) throw forbidden(`container ${id} is not connected to network ${n.name}`);
  }
}

export const fakeSystem = {
  async info() {
    return {
      id: 'f3b9c3e0-0000-4000-8000-000000000000',
      name: 'host1',
      containers: { running: 1, paused: 0, stopped: 2 },
      images: 1,
      serverVersion: '0.1.0',
      kernelVersion: '6.1.0',
      operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
      ncpu: 4,
      memTotal: 8_000_000_000,
      networkDrivers: ['bridge', 'host', 'null', 'overlay'],
      rootDir: '/var/lib/weft',
      clusterStore: 'etcd://192.0.2.2:2379',
      clusterAdvertise: '192.0.2.11:2376',
    };
  },
  async version() {
    return { version: '0.1.0', gitCommit: 'deadbee', buildTime: '2025-05-30T12:00:00.000000000+00:00', kernelVersion: '6.1.0' };
  },
} satisfies SystemBackend;

export function fakeBackend(): { backend: ApiBackend; networks: FakeNetworks } {
  const networks = new FakeNetworks();
  const backend = { networks: networks satisfies NetworksBackend, system: fakeSystem } satisfies ApiBackend;
  return { backend, networks };
}
