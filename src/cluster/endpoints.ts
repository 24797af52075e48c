// Endpoints: a container's attachment to a network. Joining reserves the endpoint's name and
// address and publishes its record in one store transaction under this host's lease, then plugs
// it in through the network's driver with every remote peer already programmed. Other hosts learn
// of it from their watch, and a crashed host's endpoints expire with its lease.
//
// The same watch feeds the drivers' peer entries and the DNS name table: one source of truth.
// A remote name enters the table only once its peer entries are programmed, so a name a
// container can resolve is one it can reach.
import { forbidden, unavailable } from '../errors.js';
import type { Attachment, Driver } from '../drivers/driver.js';
import { SerialQueues } from '../util/serial.js';
import { macFromIp } from '../dataplane/mac.js';
import { addressInUse } from '../ipam/messages.js';
import { keys } from './keys.js';
import type { MirrorChange } from './mirror.js';
import { newId, type NetworkService } from './networks.js';
import type { Scope } from './scope.js';
import type { EndpointRecord, IpamPool, NetworkDriverName, NetworkRecord } from './types.js';

export interface JoinRequest {
  readonly containerId: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly preferredIp?: string;
  readonly containerNs: string;
  readonly ifName: string;
  readonly defaultRoute: boolean;
  /**
   * The container's namespace was made for this start and holds nothing but lo, still down: the
   * driver plugs in without reading it, and brings lo up with the interface.
   */
  readonly freshNamespace: boolean;
  /** Resolves once the container's namespace exists: plumbing waits for it, publishing does not. */
  readonly namespaceReady?: Promise<unknown>;
}

/** Where endpoint changes are published besides the drivers: the DNS name table. */
export interface EndpointObserver {
  endpointUp(ep: EndpointRecord, network: NetworkRecord): void;
  endpointDown(ep: EndpointRecord): void;
  /**
   * A local endpoint was plugged in: `attachMs` is the data-plane work alone (the benchmark's
   * attach), `publishMs` the store transaction that published it, from the join call on.
   */
  attached?(ep: EndpointRecord, network: NetworkRecord, took: { readonly attachMs: number; readonly publishMs: number }): void;
}

/** Transactions lost to concurrent allocators before a join gives up. */
const MAX_ADDRESS_ATTEMPTS = 8;

export interface ThisHost {
  readonly name: string;
  readonly vtep: string;
}

export class EndpointService {
  private readonly attached = new Map<string, Attachment>();
  private readonly queues = new SerialQueues();
  /** Per network, the addresses this host's joins are trying to take right now. */
  private readonly claiming = new Map<string, string[]>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly networks: NetworkService,
    private readonly drivers: ReadonlyMap<NetworkDriverName, Driver>,
    private readonly host: ThisHost,
    private readonly observer: EndpointObserver,
    private readonly onError: (err: Error, what: string) => void,
  ) {}

  /** Follow both scopes' endpoint mirrors. Call after the scopes are started. */
  start(): void {
    for (const scope of [this.networks.scopeNamed('global'), this.networks.scopeNamed('local')]) {
      for (const ep of scope.endpoints.values()) this.publish(scope, { key: '', value: ep, previous: undefined });
      this.unsubscribe.push(scope.endpoints.subscribe((change) => this.publish(scope, change)));
    }
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  async join(net: NetworkRecord, req: JoinRequest): Promise<EndpointRecord> {
    const driver = this.driverFor(net);
    const scope = this.networks.scopeOf(net);
    const pool = net.ipam.config[0];
    if (!pool) throw forbidden(`network ${net.name} has no address pool`);
    const entered = performance.now();
    const endpoint = await this.publishNew(scope, net, pool, req);
    const publishMs = performance.now() - entered;
    const attachment: Attachment = {
      network: net, endpoint, containerNs: req.containerNs, ifName: req.ifName, defaultRoute: req.defaultRoute, freshNamespace: req.freshNamespace,
    };
    try {
      await req.namespaceReady;
      await this.queues.run(net.id, async () => {
        const started = performance.now();
        const peers = async () => (await scope.endpoints.catchUp(keys.networkEndpoints(net.id))).filter((e) => e.host !== this.host.name);
        await driver.join(attachment, peers);
        this.observer.attached?.(endpoint, net, { attachMs: performance.now() - started, publishMs });
      });
    } catch (err) {
      await this.queues.run(net.id, () => driver.leave(attachment)).catch((e: Error) => this.onError(e, 'join rollback'));
      await this.unpublish(scope, endpoint).catch((e: Error) => this.onError(e, 'join rollback'));
      throw err;
    }
    this.attached.set(endpoint.id, attachment);
    return endpoint;
  }

  /**
   * Reserve the endpoint's name and address and publish its record in ONE store transaction,
   * before any local plumbing: other hosts learn of it one round trip after the start began
   * (DESIGN's convergence), and the container's process, which starts only after the plumbing,
   * cannot be reached earlier anyway. The address is picked from the mirror without a read; a
   * transaction lost to a concurrent allocator re-reads the network's addresses and tries again.
   */
  private async publishNew(scope: Scope, net: NetworkRecord, pool: IpamPool, req: JoinRequest): Promise<EndpointRecord> {
    const id = newId();
    let inUse = new Set(scope.endpoints.values(keys.networkEndpoints(net.id)).map((e) => e.ipv4.split('/')[0]!));
    for (let attempt = 1; ; attempt++) {
      // This host's joins still in flight claim addresses the mirror cannot show yet.
      const claimed = this.claiming.get(net.id) ?? [];
      const ip = scope.ipam.pickAddress(net.id, pool, {
        preferred: req.preferredIp, inUse: new Set([...inUse, ...claimed]), networkName: net.name, among: 2 ** (attempt - 1),
      });
      this.claiming.set(net.id, [...claimed, ip]);
      try {
        const endpoint = await this.tryPublish(scope, net, pool, req, id, ip);
        if (endpoint) return endpoint;
      } finally {
        const left = (this.claiming.get(net.id) ?? []).filter((c) => c !== ip);
        if (left.length > 0) this.claiming.set(net.id, left);
        else this.claiming.delete(net.id);
      }
      if (await scope.store.get(keys.endpointName(net.id, req.name))) {
        throw forbidden(`endpoint with name ${req.name} already exists in network ${net.name}`);
      }
      if (req.preferredIp) throw addressInUse();
      if (attempt >= MAX_ADDRESS_ATTEMPTS) throw unavailable(`could not reserve an address on network ${net.name}: too many concurrent allocations`);
      inUse = new Set([...(await scope.ipam.addressesInUse(net.id)), ip]);
    }
  }

  /** One transaction: the name, the address and the record, all or none. */
  private async tryPublish(
    scope: Scope, net: NetworkRecord, pool: IpamPool, req: JoinRequest, id: string, ip: string,
  ): Promise<EndpointRecord | undefined> {
    const endpoint: EndpointRecord = {
      id,
      networkId: net.id,
      containerId: req.containerId,
      name: req.name,
      aliases: req.aliases,
      host: this.host.name,
      vtep: this.host.vtep,
      ipv4: `${ip}/${pool.subnet.split('/')[1]}`,
      mac: macFromIp(ip),
    };
    const written = await scope.store.createAll(
      [
        { key: keys.endpointName(net.id, req.name), value: id },
        scope.ipam.addressClaim(net.id, ip, id),
        { key: keys.endpoint(net.id, id), value: JSON.stringify(endpoint) },
      ],
      { lease: scope.lease() },
    );
    if (!written) return undefined;
    scope.endpoints.record(written);
    return endpoint;
  }

  /** Take a record of this host off the store: the endpoint, then its address and its name. */
  private async unpublish(scope: Scope, ep: EndpointRecord): Promise<void> {
    await scope.store.delete(keys.endpoint(ep.networkId, ep.id));
    await scope.endpoints.catchUp(keys.endpoint(ep.networkId, ep.id));
    await scope.ipam.releaseAddress(ep.networkId, ep.ipv4.split('/')[0]!);
    const nameKey = keys.endpointName(ep.networkId, ep.name);
    const owner = await scope.store.get(nameKey);
    if (owner?.value === ep.id) await scope.store.delete(nameKey, owner.revision);
  }

  /**
   * Publish this host's endpoints of a scope again, under a new lease: after the old one was
   * lost (a store outage longer than the TTL, a ZooKeeper session expiry) every record held
   * under it is gone from the store, and other hosts have dropped the peers. The address and
   * name are reclaimed as they were; a record someone else took meanwhile is logged, not stolen.
   */
  async republish(scope: Scope): Promise<void> {
    const lease = scope.lease();
    for (const a of this.attached.values()) {
      if (this.networks.scopeOf(a.network) !== scope) continue;
      const ep = a.endpoint;
      const ip = ep.ipv4.split('/')[0]!;
      try {
        const pool = a.network.ipam.config[0]!;
        await scope.store.create(keys.endpointName(ep.networkId, ep.name), ep.id, { lease });
        await scope.ipam.requestAddress(ep.networkId, pool, { preferred: ip, owner: ep.id, lease, networkName: a.network.name }).catch((err: Error) => {
          if (!/already in use/i.test(err.message)) throw err;
        });
        const key = keys.endpoint(ep.networkId, ep.id);
        const existing = await scope.store.get(key);
        if (existing) await scope.store.compareAndSwap(key, JSON.stringify(ep), existing.revision, { lease });
        else await scope.store.create(key, JSON.stringify(ep), { lease });
      } catch (err) {
        this.onError(err as Error, `republishing endpoint ${ep.name} on ${a.network.name}`);
      }
    }
  }

  /** Take the endpoint off its network everywhere. Safe to repeat. */
  async leave(endpoint: EndpointRecord): Promise<void> {
    const attachment = this.attached.get(endpoint.id);
    const net = attachment?.network ?? (await this.networks.get(endpoint.networkId));
    const scope = this.networks.scopeOf(net);
    if (attachment) await this.queues.run(net.id, () => this.driverFor(net).leave(attachment));
    this.attached.delete(endpoint.id);
    await this.unpublish(scope, endpoint);
  }

  /** This host's endpoints of a container. */
  localEndpoints(containerId: string): EndpointRecord[] {
    return this.localAttachments(containerId).map((a) => a.endpoint);
  }

  /** This host's attachments of a container: its endpoints with their interface names. */
  localAttachments(containerId: string): Attachment[] {
    return [...this.attached.values()].filter((a) => a.endpoint.containerId === containerId);
  }

  /**
   * Remove an endpoint by container name wherever it lives, without its owner's help: what
   * `network disconnect -f` does for an endpoint whose container or host is gone.
   */
  async forceRemove(net: NetworkRecord, name: string): Promise<boolean> {
    const scope = this.networks.scopeOf(net);
    const stale = (await scope.endpoints.catchUp(keys.networkEndpoints(net.id))).filter((e) => e.name === name || e.containerId === name);
    for (const ep of stale) {
      if (this.attached.has(ep.id)) {
        await this.leave(ep);
        continue;
      }
      await this.unpublish(scope, ep);
    }
    await scope.endpoints.catchUp(keys.networkEndpoints(net.id));
    return stale.length > 0;
  }

  private driverFor(net: NetworkRecord): Driver {
    const driver = this.drivers.get(net.driver);
    if (!driver) throw forbidden(`network ${net.name} uses driver ${net.driver}, which has no endpoints`);
    return driver;
  }

  private publish(scope: Scope, change: MirrorChange<EndpointRecord>): void {
    const ep = change.value ?? change.previous;
    if (!ep) return;
    const net = scope.networks.get(keys.network(ep.networkId));
    const gone = change.previous && (!change.value || change.previous.id !== change.value.id) ? change.previous : undefined;
    const driver = net && ep.host !== this.host.name ? this.drivers.get(net.driver) : undefined;
    if (!net || !driver) {
      if (gone) this.observer.endpointDown(gone);
      if (change.value && net) this.observer.endpointUp(change.value, net);
      return;
    }
    // In the network's queue, behind any earlier change of it: the name goes before its peer
    // entries, and comes after them.
    const added = change.value ? [change.value] : [];
    const removed = change.value ? [] : [ep];
    void this.queues
      .run(net.id, async () => {
        if (gone) this.observer.endpointDown(gone);
        try {
          await driver.updatePeers(net, added, removed);
        } finally {
          // A failed update is logged below; the name still goes in rather than vanish for good.
          if (change.value) this.observer.endpointUp(change.value, net);
        }
      })
      .catch((err: Error) => this.onError(err, `peer update on ${net.name}`));
  }
}
