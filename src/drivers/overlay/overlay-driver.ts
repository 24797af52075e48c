// The overlay driver: one sandbox namespace per network on each host that has endpoints on it,
// holding br0 (the gateway) and vxlan0. Remote endpoints become static neighbor and FDB entries
// (STYLE §5): the control plane publishes them, nothing waits on kernel miss events.
import type { Attachment, Driver } from '../driver.js';
import type { EndpointRecord, NetworkRecord } from '../../cluster/types.js';
import { type OverlayDataplane, type PeerSpec, vethName } from '../../dataplane/index.js';

export class OverlayDriver implements Driver {
  readonly name = 'overlay' as const;
  /** Local endpoint ids per joined network: the sandbox lives while this is non-empty. */
  private readonly joined = new Map<string, Set<string>>();

  constructor(
    private readonly dataplane: OverlayDataplane,
    private readonly opts: { readonly netnsPrefix: string; readonly vtepIp: string },
  ) {}

  sandboxName(net: NetworkRecord): string {
    return `${this.opts.netnsPrefix}sb-${net.id.slice(0, 12)}`;
  }

  async join(a: Attachment, peers: readonly EndpointRecord[]): Promise<void> {
    const net = a.network;
    const sandbox = this.sandboxName(net);
    const pool = net.ipam.config[0]!;
    let local = this.joined.get(net.id);
    if (!local) {
      await this.dataplane.ensureNetwork({
        sandbox,
        vni: net.vni!,
        gatewayCidr: `${pool.gateway}/${pool.subnet.split('/')[1]}`,
        mtu: net.mtu,
        vtepIp: this.opts.vtepIp,
      });
      local = new Set();
      this.joined.set(net.id, local);
    }
    await this.dataplane.setPeers(sandbox, peers.map(toPeer));
    await this.dataplane.attach({
      sandbox,
      containerNs: a.containerNs,
      hostIfName: vethName(a.endpoint.id),
      ifName: a.ifName,
      mac: a.endpoint.mac,
      addressCidr: a.endpoint.ipv4,
      gateway: pool.gateway,
      mtu: net.mtu,
      defaultRoute: a.defaultRoute,
    });
    local.add(a.endpoint.id);
  }

  async leave(a: Attachment): Promise<void> {
    const sandbox = this.sandboxName(a.network);
    await this.dataplane.detach({ sandbox, hostIfName: vethName(a.endpoint.id) });
    const local = this.joined.get(a.network.id);
    local?.delete(a.endpoint.id);
    if (!local || local.size === 0) {
      this.joined.delete(a.network.id);
      await this.dataplane.removeNetwork(sandbox);
    }
  }

  async updatePeers(net: NetworkRecord, added: readonly EndpointRecord[], removed: readonly EndpointRecord[]): Promise<void> {
    if (!this.joined.has(net.id)) return;
    const sandbox = this.sandboxName(net);
    if (removed.length > 0) await this.dataplane.removePeers(sandbox, removed.map(toPeer));
    if (added.length > 0) await this.dataplane.addPeers(sandbox, added.map(toPeer));
  }
}

const toPeer = (ep: EndpointRecord): PeerSpec => ({ ip: ep.ipv4.split('/')[0]!, mac: ep.mac, vtep: ep.vtep });
