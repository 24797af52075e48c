// The bridge driver: Docker's local bridge networks. The bridge lives in the host's namespace
// and is made when the first container needs it, with NAT towards the host's own network unless
// the network is internal.
import { type Attachment, type Driver, gatewayCidr, LocalMembers, plugOf } from '../driver.js';
import type { NetworkRecord } from '../../cluster/types.js';
import type { BridgeDataplane } from '../../dataplane/index.js';

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
const ICC_OPTION = 'com.docker.network.bridge.enable_icc';

export class BridgeDriver implements Driver {
  readonly name = 'bridge' as const;
  private readonly members = new LocalMembers();

  constructor(private readonly dataplane: BridgeDataplane) {}

  bridgeName(net: NetworkRecord): string {
    return net.options[BRIDGE_NAME_OPTION] ?? `br-${net.id.slice(0, 12)}`;
  }

  async join(a: Attachment): Promise<void> {
    const net = a.network;
    const bridgeName = this.bridgeName(net);
    if (!this.members.has(net.id)) {
      await this.dataplane.ensureBridge({
        bridgeName,
        gatewayCidr: gatewayCidr(net),
        subnet: net.ipam.config[0]!.subnet,
        mtu: net.mtu,
        masquerade: !net.internal,
        internal: net.internal,
        icc: net.options[ICC_OPTION] !== 'false',
      });
    }
    await this.dataplane.attach({ bridgeName, ...plugOf(a) });
    this.members.add(net.id, a.endpoint.id);
  }

  async leave(a: Attachment): Promise<void> {
    await this.dataplane.detach({ hostIfName: plugOf(a).hostIfName });
    if (this.members.remove(a.network.id, a.endpoint.id)) await this.dataplane.removeBridge({ bridgeName: this.bridgeName(a.network) });
  }

  async updatePeers(): Promise<void> {
    // A local bridge has no remote peers.
  }
}
