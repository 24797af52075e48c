// Docker's local bridge networks (the default `bridge` is 172.17.0.0/16): a bridge in the host
// namespace carrying the gateway address, IPv4 forwarding on, and iptables rules for NAT or, on
// internal networks, for isolation. Containers attach by veth as on the overlay. Desired state,
// like OverlayDataplane: reads first, writes only the difference.
import { bridgeAddLine } from './devices.js';
import { type IpLink, inetAddrs, ipBatch, isAlreadyGone, isUp, kindOf, readLink, runBatch } from './iproute.js';
import { applyRules, bridgeRules, inNetns, planRules, readRules, ruleComment } from './iptables.js';
import { CommandError, type CommandRunner } from './runner.js';
import { KeyedSerializer } from './serial.js';
import { attachVeth, type ContainerPlug, detachVeth } from './veth.js';
import * as v from './validate.js';

export interface BridgeNetworkSpec {
  /** Namespace of the bridge; undefined = the calling process's own. */
  readonly hostNs?: string;
  readonly bridgeName: string;
  /** e.g. 172.17.0.1/16 */
  readonly gatewayCidr: string;
  /** e.g. 172.17.0.0/16 */
  readonly subnet: string;
  readonly mtu: number;
  readonly masquerade: boolean;
  readonly internal: boolean;
  /** Docker's enable_icc: false isolates the bridge's containers from each other. Default true. */
  readonly icc?: boolean;
}

export interface BridgeRef {
  readonly hostNs?: string;
  readonly bridgeName: string;
}

export interface BridgeEndpointSpec extends ContainerPlug {
  readonly hostNs?: string;
  readonly bridgeName: string;
}

export interface BridgeEndpointRef {
  readonly hostNs?: string;
  readonly hostIfName: string;
}

const IP_FORWARD = 'net.ipv4.ip_forward';

function bridgeLines(name: string, gatewayCidr: string, mtu: number, link: IpLink | undefined): string[] {
  const lines: string[] = [];
  let br = link;
  if (br !== undefined && kindOf(br) !== 'bridge') {
    lines.push(`link del ${name}`);
    br = undefined;
  }
  if (br === undefined) lines.push(bridgeAddLine(name, mtu));
  else if (br.mtu !== mtu) lines.push(`link set ${name} mtu ${mtu}`);
  const addrs = br === undefined ? [] : inetAddrs(br);
  for (const a of addrs) if (a !== gatewayCidr) lines.push(`addr del ${a} dev ${name}`);
  if (!addrs.includes(gatewayCidr)) lines.push(`addr add ${gatewayCidr} dev ${name}`);
  if (br === undefined || !isUp(br)) lines.push(`link set ${name} up`);
  return lines;
}

export class BridgeDataplane {
  // iptables-save → restore is read-modify-write on the whole namespace's tables.
  private readonly serial = new KeyedSerializer();

  constructor(private readonly runner: CommandRunner) {}

  /** Three reads in parallel (link, sysctl, iptables-save), then up to three writes in parallel. */
  async ensureBridge(spec: BridgeNetworkSpec): Promise<void> {
    const hostNs = v.optionalNetns(spec.hostNs);
    const name = v.ifName(spec.bridgeName);
    const gw = v.cidr4(spec.gatewayCidr);
    const gatewayCidr = `${gw.ip}/${gw.prefixLen}`;
    const subnet = v.networkCidr(spec.subnet);
    const mtu = v.mtu(spec.mtu);
    const desiredRules = bridgeRules({ bridgeName: name, subnet, masquerade: spec.masquerade, internal: spec.internal, icc: spec.icc });
    return this.serial.run(hostNs ?? '', async () => {
      const [link, forward, saved] = await Promise.all([
        readLink(this.runner, hostNs, name),
        this.runner.run(inNetns(hostNs, ['sysctl', '-n', IP_FORWARD])),
        readRules(this.runner, hostNs),
      ]);
      await Promise.all([
        runBatch(this.runner, ipBatch(hostNs, bridgeLines(name, gatewayCidr, mtu, link))),
        forward.stdout.trim() === '1' ? undefined : this.runner.run(inNetns(hostNs, ['sysctl', '-qw', `${IP_FORWARD}=1`])),
        applyRules(this.runner, hostNs, planRules(saved, desiredRules, ruleComment(name))),
      ]);
    });
  }

  /**
   * Removes the bridge and every rule commented with its name. IPv4 forwarding stays on: other
   * bridges (and the host's own routing) may rely on it.
   */
  async removeBridge(ref: BridgeRef): Promise<void> {
    const hostNs = v.optionalNetns(ref.hostNs);
    const name = v.ifName(ref.bridgeName);
    return this.serial.run(hostNs ?? '', async () => {
      const argv = [...(hostNs === undefined ? ['ip'] : ['ip', '-n', hostNs]), 'link', 'del', name];
      const [saved, del] = await Promise.all([readRules(this.runner, hostNs), this.runner.run(argv, { allowFail: true })]);
      if (del.code !== 0 && !isAlreadyGone(del.stderr)) throw new CommandError(argv, del.code, del.stderr);
      await applyRules(this.runner, hostNs, planRules(saved, [], ruleComment(name)));
    });
  }

  async attach(ep: BridgeEndpointSpec): Promise<void> {
    return attachVeth(this.runner, { ...ep, linkNs: v.optionalNetns(ep.hostNs), master: v.ifName(ep.bridgeName) });
  }

  async detach(ep: BridgeEndpointRef): Promise<void> {
    return detachVeth(this.runner, v.optionalNetns(ep.hostNs), ep.hostIfName);
  }
}
