// The overlay driver: one sandbox namespace per network on each host that has endpoints on it,
// holding br0 (the gateway) and vxlan0. Remote endpoints become static neighbor and FDB entries
// (STYLE §5): the control plane publishes them, nothing waits on kernel miss events.
import { type Attachment, type Driver, gatewayCidr, LocalMembers, plugOf } from '../driver.js';
import type { EndpointRecord, NetworkRecord } from '../../cluster/types.js';
import type { OverlayDataplane, PeerSpec } from '../../dataplane/index.js';

export class OverlayDriver implements Driver {
  readonly name = 'overlay' as const;
  private readonly members = new LocalMembers();

  constructor(
    private readonly dataplane: OverlayDataplane,
    private readonly opts: { readonly netnsPrefix: string; readonly vtepIp: string },
  ) {}

  sandboxName(net: NetworkRecord): string {
    return `${this.opts.netnsPrefix}sb-${net.id.slice(0, 12)}`;
  }

  async join(a: Attachment, peers: () => Promise<readonly EndpointRecord[]>): Promise<void> {
    const net = a.network;
    const sandbox = this.sandboxName(net);
    // A network already joined here has its peers programmed and kept current by updatePeers
    // (serialised with this call by the caller), so only the first join reads and sets them.
    if (!this.members.has(net.id)) {
      const [remote] = await Promise.all([
        peers(),
        this.dataplane.ensureNetwork({ sandbox, vni: net.vni!, gatewayCidr: gatewayCidr(net), mtu: net.mtu, vtepIp: this.opts.vtepIp }),
      ]);
      await this.dataplane.setPeers(sandbox, remote.map(toPeer));
    }
    await this.dataplane.attach({ sandbox, ...plugOf(a) });
    this.members.add(net.id, a.endpoint.id);
  }

  async leave(a: Attachment): Promise<void> {
    const sandbox = this.sandboxName(a.network);
    await this.dataplane.detach({ sandbox, hostIfName: plugOf(a).hostIfName });
    if (this.members.remove(a.network.id, a.endpoint.id)) await this.dataplane.removeNetwork(sandbox);
  }

  async updatePeers(net: NetworkRecord, added: readonly EndpointRecord[], removed: readonly EndpointRecord[]): Promise<void> {
    if (!this.members.has(net.id)) return;
    const sandbox = this.sandboxName(net);
    if (removed.length > 0) await this.dataplane.removePeers(sandbox, removed.map(toPeer));
    if (added.length > 0) await this.dataplane.addPeers(sandbox, added.map(toPeer));
  }
}

const toPeer = (ep: EndpointRecord): PeerSpec => ({ ip: ep.ipv4.split('/')[0]!, mac: ep.mac, vtep: ep.vtep });
