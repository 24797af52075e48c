// A container's networks, set up before its process starts and torn down after it exits:
// its network namespace, one endpoint per network (eth0, eth1, …), the DNS resolver's sockets
// inside the namespace, and the files that tell the process where it is (/etc/hosts,
// /etc/resolv.conf). Everything taken is given back if a later step fails.
import { notFound, WeftError } from '../errors.js';
import type { EndpointRecord, NetworkRecord } from './types.js';
import type { EndpointService } from './endpoints.js';
import type {
  ContainerNetworkSetup as ContainerNetworkState,
  ContainerNetworkSpec,
  ContainerNetworking as RuntimeNetworking,
  EndpointRequest as EndpointSettingsRequest,
} from '../runtime/networking.js';
import { isGatewayBridge, type NetworkService } from './networks.js';

/** The OS side this needs: namespaces, and the DNS sockets inside them. */
export interface NamespaceOps {
  /** Make the namespace (its lo still down); returns its path. */
  create(name: string): Promise<string>;
  loopbackUp(name: string): Promise<void>;
  remove(name: string): Promise<void>;
  path(name: string): string;
}

export interface DnsAttach {
  attach(containerId: string, netnsPath: string): Promise<void>;
  detach(containerId: string): Promise<void>;
}

export interface ContainerNetworkingOptions {
  readonly netnsPrefix: string;
  /** Upstream resolvers, for containers that only use the default bridge. */
  readonly upstreams: readonly string[];
  readonly searchDomains: readonly string[];
}

export class ContainerNetworking implements RuntimeNetworking {
  constructor(
    private readonly networks: NetworkService,
    private readonly endpoints: EndpointService,
    private readonly namespaces: NamespaceOps,
    private readonly dns: DnsAttach,
    private readonly opts: ContainerNetworkingOptions,
  ) {}

  netnsName(containerId: string): string {
    return `${this.opts.netnsPrefix}c-${containerId.slice(0, 12)}`;
  }

  async setUp(c: ContainerNetworkSpec): Promise<ContainerNetworkState> {
    const wanted = await this.resolveNetworks(c);
    if (wanted.length === 1 && wanted[0]!.net.driver === 'host') {
      return { netnsPath: null, hosts: hostsFile(c.hostname, []), resolvConf: resolvConf(this.opts.upstreams, this.opts.searchDomains, []) };
    }
    const nsName = this.netnsName(c.id);
    const attachable = wanted.filter((w) => w.net.driver === 'overlay' || w.net.driver === 'bridge');
    // Overlay-only containers get their way out through the gateway bridge, as in Docker.
    // Internal networks have no way out, by definition.
    const gateway = attachable.length > 0 && attachable.every((w) => w.net.driver === 'overlay' && !w.net.internal);
    // The namespace is made while the endpoints are published: other hosts learn of them one
    // store transaction after the start began, whatever the local plumbing costs.
    const created = this.namespaces.create(nsName);
    created.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    const joined: EndpointRecord[] = [];
    let dnsAttached = false;
    try {
      const gatewayNet = gateway ? await this.networks.ensureGatewayBridge() : undefined;
      const plan = gatewayNet ? [...attachable, { net: gatewayNet, settings: { aliases: [] } }] : attachable;
      // Every network at once: each join is its own store transaction and its own interface.
      // A fresh namespace's first interface brings lo up with it; without one, lo needs its own step.
      const results = await Promise.allSettled([
        plan.length === 0 ? created.then(() => this.namespaces.loopbackUp(nsName)) : created,
        ...plan.map(async (w, i) => {
          const ep = await this.endpoints.join(w.net, {
            containerId: c.id,
            name: c.name,
            aliases: w.settings.aliases,
            preferredIp: w.settings.ipv4Address || undefined,
            containerNs: nsName,
            ifName: `eth${i}`,
            defaultRoute: i === (gateway ? plan.length - 1 : 0),
            freshNamespace: true,
            namespaceReady: created,
          });
          joined[i] = ep;
        }),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const nsPath = await created;
      // Docker's embedded DNS serves user-defined networks; the default bridge keeps the
      // upstream resolvers (it has no service discovery).
      const userDefined = attachable.some((w) => !w.net.predefined);
      if (userDefined) {
        await this.dns.attach(c.id, nsPath);
        dnsAttached = true;
      }
      const servers = userDefined ? ['127.0.0.11'] : this.opts.upstreams;
      const options = userDefined ? ['ndots:0'] : [];
      return {
        netnsPath: nsPath,
        hosts: hostsFile(c.hostname, joined.slice(0, attachable.length).map((e) => e.ipv4.split('/')[0]!)),
        resolvConf: resolvConf(servers, this.opts.searchDomains, options),
      };
    } catch (err) {
      if (dnsAttached) await this.dns.detach(c.id).catch(() => {});
      for (const ep of joined.filter(Boolean).reverse()) await this.endpoints.leave(ep).catch(() => {});
      await created.catch(() => undefined); // a removal racing the creation would leak it
      await this.namespaces.remove(nsName).catch(() => {});
      throw err;
    }
  }

  /** `network connect` of a running container: a new interface, live, with its DNS names. */
  async connect(c: ContainerNetworkSpec, net: NetworkRecord, settings: EndpointSettingsRequest): Promise<EndpointRecord> {
    if (net.driver !== 'overlay' && net.driver !== 'bridge') {
      throw new WeftError('forbidden', 'container cannot be disconnected from host network or connected to host network');
    }
    const current = this.endpoints.localAttachments(c.id);
    if (current.some((a) => a.network.id === net.id)) {
      throw new WeftError('forbidden', `endpoint with name ${c.name} already exists in network ${net.name}`);
    }
    const used = new Set(current.map((a) => a.ifName));
    let n = 0;
    while (used.has(`eth${n}`)) n++;
    const endpoint = await this.endpoints.join(net, {
      containerId: c.id,
      name: c.name,
      aliases: settings.aliases,
      preferredIp: settings.ipv4Address || undefined,
      containerNs: this.netnsName(c.id),
      ifName: `eth${n}`,
      defaultRoute: current.length === 0,
      freshNamespace: false,
    });
    if (!net.predefined) await this.dns.attach(c.id, this.namespaces.path(this.netnsName(c.id)));
    return endpoint;
  }

  /** `network disconnect` of a running container. */
  async disconnect(containerId: string, net: NetworkRecord): Promise<void> {
    for (const a of this.endpoints.localAttachments(containerId)) {
      if (a.network.id === net.id) await this.endpoints.leave(a.endpoint);
    }
  }

  async tearDown(c: { readonly id: string }): Promise<void> {
    await this.dns.detach(c.id).catch(() => {});
    for (const ep of this.endpoints.localEndpoints(c.id)) await this.endpoints.leave(ep);
    await this.namespaces.remove(this.netnsName(c.id));
  }

  /** Endpoints of a container on this host, with their networks, for inspect and ps. */
  async attachments(containerId: string): Promise<{ network: NetworkRecord; endpoint: EndpointRecord }[]> {
    const out: { network: NetworkRecord; endpoint: EndpointRecord }[] = [];
    for (const a of this.endpoints.localAttachments(containerId)) {
      if (!isGatewayBridge(a.network)) out.push({ network: a.network, endpoint: a.endpoint });
    }
    return out;
  }

  /** NetworkMode first, then the other EndpointsConfig entries, as Docker orders them. */
  private async resolveNetworks(c: ContainerNetworkSpec): Promise<{ net: NetworkRecord; settings: EndpointSettingsRequest }[]> {
    const mode = c.networkMode === 'default' || c.networkMode === '' ? 'bridge' : c.networkMode;
    const refs = [mode, ...Object.keys(c.endpointsConfig).filter((k) => k !== mode && k !== 'default')];
    const out: { net: NetworkRecord; settings: EndpointSettingsRequest }[] = [];
    for (const ref of refs) {
      try {
        const net = await this.networks.get(ref);
        out.push({ net, settings: c.endpointsConfig[ref] ?? c.endpointsConfig[net.name] ?? c.endpointsConfig[net.id] ?? { aliases: [] } });
      } catch (err) {
        // Docker reports an unknown network at start, never as a 404 at create (docker-api.md §2).
        if (err instanceof WeftError && err.kind === 'not-found') {
          throw notFound(`failed to set up container networking: network ${ref} not found`);
        }
        throw err;
      }
    }
    const special = out.filter((w) => w.net.driver === 'host' || w.net.driver === 'null');
    if (special.length > 0 && out.length > 1) {
      throw new WeftError('invalid', `container cannot be disconnected from host network or connected to host network`);
    }
    return out;
  }
}

function hostsFile(hostname: string, ips: readonly string[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters'];
  for (const ip of ips) lines.push(`${ip}\t${hostname}`);
  return `${lines.join('\n')}\n`;
}

function resolvConf(servers: readonly string[], search: readonly string[], options: readonly string[]): string {
  const lines = servers.map((s) => `nameserver ${s.replace(/:\d+$/, '')}`);
  if (search.length > 0) lines.push(`search ${search.join(' ')}`);
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
