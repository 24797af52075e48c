// The bridge driver: Docker's local bridge networks. The bridge lives in the host's namespace
// and is made when the first container needs it, with NAT towards the host's own network unless
// the network is internal.
import type { Attachment, Driver } from '../driver.js';
import type { NetworkRecord } from '../../cluster/types.js';
import { type BridgeDataplane, vethName } from '../../dataplane/index.js';

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

export class BridgeDriver implements Driver {
  readonly name = 'bridge' as const;
  private readonly joined = new Map<string, Set<string>>();

  constructor(private readonly dataplane: BridgeDataplane) {}

  bridgeName(net: NetworkRecord): string {
    return net.options[BRIDGE_NAME_OPTION] ?? `br-${net.id.slice(0, 12)}`;
  }

  async join(a: Attachment): Promise<void> {
    const net = a.network;
    const pool = net.ipam.config[0]!;
    const bridgeName = this.bridgeName(net);
    let local = this.joined.get(net.id);
    if (!local) {
      await this.dataplane.ensureBridge({
        bridgeName,
        gatewayCidr: `${pool.gateway}/${pool.subnet.split('/')[1]}`,
        subnet: pool.subnet,
        mtu: net.mtu,
        masquerade: !net.internal,
        internal: net.internal,
      });
      local = new Set();
      this.joined.set(net.id, local);
    }
    await this.dataplane.attach({
      bridgeName,
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
    await this.dataplane.detach({ hostIfName: vethName(a.endpoint.id) });
    const local = this.joined.get(a.network.id);
    local?.delete(a.endpoint.id);
    if (!local || local.size === 0) {
      this.joined.delete(a.network.id);
      await this.dataplane.removeBridge({ bridgeName: this.bridgeName(a.network) });
    }
  }

  async updatePeers(): Promise<void> {
    // A local bridge has no remote peers.
  }
}
