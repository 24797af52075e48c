// Networks: create, find, list and remove, over both scopes. Everything that must be unique
// cluster-wide (names, VNIs, subnets) is reserved by an atomic store operation, so two hosts
// racing to create the same network cannot both win; a failed create gives back what it took.
import { randomBytes } from 'node:crypto';
import { conflict, forbidden, notFound } from '../errors.js';
import { validatePoolRequests } from '../ipam/ipam.js';
import { allocateVni, releaseVni } from './vni.js';
import { keys } from './keys.js';
import type { Scope } from './scope.js';
import type { EndpointRecord, IpamPool, NetworkCreateRequest, NetworkRecord, NetworkScope, NetworkView } from './types.js';

export const OVERLAY_MTU_OVERHEAD = 50;
const DEFAULT_UNDERLAY_MTU = 1500;
const MTU_OPTION = 'com.docker.network.driver.mtu';

/**
 * Docker's docker_gwbridge: a local bridge that gives containers on overlay networks their way
 * out (default route, NAT), its containers isolated from each other. Made on first need. It is
 * plumbing, not a network containers are "on": no DNS names, not shown in a container's networks.
 */
export const GATEWAY_BRIDGE = 'docker_gwbridge';
export const isGatewayBridge = (net: NetworkRecord) => net.scope === 'local' && net.name === GATEWAY_BRIDGE;

export const newId = () => randomBytes(32).toString('hex');
export const rfc3339Nano = (d = new Date()) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

export class NetworkService {
  constructor(private readonly scopes: { readonly global: Scope; readonly local: Scope }) {}

  /** The local predefined networks every Docker host has. Idempotent. */
  async ensurePredefined(): Promise<void> {
    const local = this.scopes.local;
    await local.networks.catchUp(keys.networks);
    const have = new Set(local.networks.values().map((n) => n.name));
    const base = { internal: false, attachable: false, ingress: false, enableIPv6: false, labels: {}, predefined: true } as const;
    if (!have.has('bridge')) {
      await this.createRecord(local, {
        ...base,
        name: 'bridge',
        driver: 'bridge',
        ipam: { driver: 'default', options: {}, config: [{ subnet: '172.17.0.0/16', gateway: '172.17.0.1' }] },
        options: { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.name': 'docker0' },
      });
    }
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!have.has(name)) {
        await this.createRecord(local, { ...base, name, driver, ipam: { driver: 'default', options: {}, config: [] }, options: {} });
      }
    }
  }

  async ensureGatewayBridge(): Promise<NetworkRecord> {
    const local = this.scopes.local;
    const find = () => local.networks.values().find(isGatewayBridge);
    const existing = find() ?? (await local.networks.catchUp(keys.networks), find());
    if (existing) return existing;
    try {
      return await this.createRecord(local, {
        name: GATEWAY_BRIDGE,
        driver: 'bridge',
        internal: false,
        attachable: false,
        ingress: false,
        enableIPv6: false,
        ipam: { driver: 'default', options: {}, config: [] },
        options: {
          'com.docker.network.bridge.name': GATEWAY_BRIDGE,
          'com.docker.network.bridge.enable_icc': 'false',
          'com.docker.network.bridge.enable_ip_masquerade': 'true',
        },
        labels: {},
      });
    } catch (err) {
      // Two joins on this host raced to make it: the other one's will do.
      await local.networks.catchUp(keys.networks);
      const made = find();
      if (made) return made;
      throw err;
    }
  }

  async create(req: NetworkCreateRequest): Promise<NetworkRecord> {
    if (req.driver === 'host' || req.driver === 'null') {
      throw forbidden(`only one instance of "${req.driver === 'null' ? 'null' : 'host'}" network is allowed`);
    }
    const scope = req.driver === 'overlay' ? this.scopes.global : this.scopes.local;
    const other = scope === this.scopes.global ? this.scopes.local : this.scopes.global;
    if (other.networks.values().some((n) => n.name === req.name)) throw conflict(`network with name ${req.name} already exists`);
    return this.createRecord(scope, req);
  }

  private async createRecord(scope: Scope, req: NetworkCreateRequest & { predefined?: boolean }): Promise<NetworkRecord> {
    // Every problem of the IPAM config at once, before anything is reserved (as moby reports).
    validatePoolRequests(req.ipam.config);
    const id = newId();
    const undo: (() => Promise<unknown>)[] = [];
    try {
      if (!(await scope.store.create(keys.networkName(req.name), id))) {
        throw conflict(`network with name ${req.name} already exists`);
      }
      undo.push(() => scope.store.delete(keys.networkName(req.name)));

      const pools: IpamPool[] = [];
      const wanted = req.driver === 'host' || req.driver === 'null' ? [] : req.ipam.config.length > 0 ? req.ipam.config : [{}];
      if (wanted.length > 0) undo.push(() => scope.ipam.releasePool(id));
      for (const poolReq of wanted) pools.push(await scope.ipam.requestPool(id, poolReq));

      let vni: number | undefined;
      if (req.driver === 'overlay') {
        vni = await allocateVni(scope.store, id);
        const allocated = vni;
        undo.push(() => releaseVni(scope.store, allocated));
      }

      const record: NetworkRecord = {
        id,
        name: req.name,
        driver: req.driver,
        scope: scope.name,
        created: rfc3339Nano(),
        internal: req.internal,
        attachable: req.attachable,
        ingress: req.ingress,
        enableIPv6: req.enableIPv6,
        ipam: { driver: req.ipam.driver || 'default', options: req.ipam.options, config: pools },
        options: req.options,
        labels: req.labels,
        ...(vni === undefined ? {} : { vni }),
        mtu: mtuFor(req),
        ...(req.predefined ? { predefined: true } : {}),
      };
      await scope.store.create(keys.network(id), JSON.stringify(record));
      await scope.networks.catchUp(keys.network(id));
      return record;
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => {});
      throw err;
    }
  }

  /** Resolve by exact id, then exact name, then unique id prefix (Docker's order). */
  async get(ref: string): Promise<NetworkRecord> {
    const found = this.find(ref) ?? (await this.refresh(), this.find(ref));
    if (!found) throw notFound(`network ${ref} not found`);
    return found;
  }

  async list(): Promise<NetworkRecord[]> {
    await this.refresh();
    return this.all().sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A network with its endpoints on every host (Weft's inspect is cluster-wide). */
  async view(net: NetworkRecord): Promise<NetworkView> {
    const endpoints = await this.scopeOf(net).endpoints.catchUp(keys.networkEndpoints(net.id));
    const containers: Record<string, EndpointRecord> = {};
    for (const ep of endpoints) containers[ep.containerId] = ep;
    return { ...net, containers };
  }

  async remove(ref: string): Promise<NetworkRecord> {
    const net = await this.get(ref);
    if (net.predefined) throw forbidden(`${net.name} is a pre-defined network and cannot be removed`);
    const scope = this.scopeOf(net);
    const endpoints = await scope.endpoints.catchUp(keys.networkEndpoints(net.id));
    if (endpoints.length > 0) {
      throw forbidden(`error while removing network: network ${net.name} id ${net.id} has active endpoints`);
    }
    if (!(await scope.store.delete(keys.network(net.id)))) throw notFound(`network ${ref} not found`);
    await scope.networks.catchUp(keys.network(net.id));
    if (net.vni !== undefined) await releaseVni(scope.store, net.vni);
    await scope.ipam.releasePool(net.id);
    await scope.store.delete(keys.networkName(net.name));
    return net;
  }

  /** Remove every unused, user-defined network the predicate selects; returns their names. */
  async prune(selected: (net: NetworkRecord) => boolean): Promise<string[]> {
    const deleted: string[] = [];
    for (const net of await this.list()) {
      if (net.predefined || !selected(net)) continue;
      try {
        await this.remove(net.id);
        deleted.push(net.name);
      } catch {
        // Networks in use (or removed meanwhile) are skipped, as Docker does.
      }
    }
    return deleted;
  }

  scopeOf(net: NetworkRecord): Scope {
    return net.scope === 'global' ? this.scopes.global : this.scopes.local;
  }

  scopeNamed(name: NetworkScope): Scope {
    return this.scopes[name];
  }

  private all(): NetworkRecord[] {
    return [...this.scopes.global.networks.values(), ...this.scopes.local.networks.values()];
  }

  private find(ref: string): NetworkRecord | undefined {
    const all = this.all();
    const byId = all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref);
    if (byId) return byId;
    const byPrefix = ref.length > 0 ? all.filter((n) => n.id.startsWith(ref)) : [];
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  private async refresh(): Promise<void> {
    await Promise.all([this.scopes.global.networks.catchUp(keys.networks), this.scopes.local.networks.catchUp(keys.networks)]);
  }
}

function mtuFor(req: NetworkCreateRequest): number {
  const asked = Number(req.options[MTU_OPTION] ?? '') || undefined;
  if (req.driver === 'overlay') return (asked ?? DEFAULT_UNDERLAY_MTU) - OVERLAY_MTU_OVERHEAD;
  return asked ?? DEFAULT_UNDERLAY_MTU;
}
