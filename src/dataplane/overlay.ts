// The overlay data plane on one host, as desired state. Per network: a sandbox namespace with
// bridge br0 (the gateway address) and vxlan0, whose UDP socket stays in the host namespace. Per
// local container: a veth from br0 into the container. Per remote container: static neighbour and
// FDB entries on vxlan0. Every method reads what is there and writes only the difference, so
// applying the same state twice writes nothing, and every delete is safe to repeat.
import { notFound } from '../errors.js';
import { bridgeAddLine, sandboxNetfilterOffLine, VXLAN_PORT, vxlanAddLine, vxlanMatches } from './devices.js';
import {
  type Batch,
  type FdbEntry,
  type IpLink,
  type IpNeigh,
  absentIfNoNetns,
  bridgeBatch,
  inetAddrs,
  ipBatch,
  isUp,
  kindOf,
  readJson,
  readLinks,
  runBatch,
  runSteps,
} from './iproute.js';
import { deleteNetns } from './netns.js';
import { type PeerSpec, fdbDel, fdbReplace, neighRemoveLines, neighReplace, planPeers, validatePeers, VXLAN_DEV } from './peers.js';
import type { CommandRunner } from './runner.js';
import { KeyedSerializer } from './serial.js';
import { attachVeth, type ContainerPlug, detachVeth } from './veth.js';
import * as v from './validate.js';

export type { PeerSpec } from './peers.js';
export { vethName } from './veth.js';

export const SANDBOX_BRIDGE = 'br0';

export interface OverlayNetworkSpec {
  /** Name of the sandbox namespace, prefixed by the caller. */
  readonly sandbox: string;
  /** Namespace that owns the VXLAN UDP socket; undefined = the calling process's own. */
  readonly hostNs?: string;
  readonly vni: number;
  /** Gateway address on br0 with the subnet's length, e.g. 10.0.0.1/24. */
  readonly gatewayCidr: string;
  /** MTU of br0, vxlan0 and the containers' interfaces (underlay MTU − 50). */
  readonly mtu: number;
  /** This host's underlay (advertise) address. */
  readonly vtepIp: string;
  readonly dstPort?: number;
}

export interface OverlayEndpointSpec extends ContainerPlug {
  readonly sandbox: string;
}

export interface OverlayEndpointRef {
  readonly sandbox: string;
  readonly hostIfName: string;
}

interface ValidSpec {
  readonly sandbox: string;
  readonly hostNs: string | undefined;
  readonly vni: number;
  readonly gatewayCidr: string;
  readonly mtu: number;
  readonly vtepIp: string;
  readonly dstPort: number;
}

function validSpec(spec: OverlayNetworkSpec): ValidSpec {
  const gw = v.cidr4(spec.gatewayCidr);
  return {
    sandbox: v.netnsName(spec.sandbox),
    hostNs: v.optionalNetns(spec.hostNs),
    vni: v.vni(spec.vni),
    gatewayCidr: `${gw.ip}/${gw.prefixLen}`,
    mtu: v.mtu(spec.mtu),
    vtepIp: v.ipv4(spec.vtepIp),
    dstPort: v.port(spec.dstPort ?? VXLAN_PORT),
  };
}

/**
 * The steps from what the sandbox holds (`links`; undefined = no sandbox yet) to `spec`. vxlan0 is
 * created from the host namespace, so it sits between the sandbox's deletions and its setup.
 */
function planNetwork(s: ValidSpec, links: readonly IpLink[] | undefined): Batch[][] {
  const find = (name: string) => links?.find((l) => l.ifname === name);
  const pre: string[] = [];
  const setup: string[] = [];

  const lo = find('lo');
  if (lo === undefined || !isUp(lo)) setup.push('link set lo up');

  let br = find(SANDBOX_BRIDGE);
  if (br !== undefined && kindOf(br) !== 'bridge') {
    pre.push(`link del ${SANDBOX_BRIDGE}`);
    br = undefined;
  }
  if (br === undefined) setup.push(bridgeAddLine(SANDBOX_BRIDGE, s.mtu));
  else if (br.mtu !== s.mtu) setup.push(`link set ${SANDBOX_BRIDGE} mtu ${s.mtu}`);
  const addrs = br === undefined ? [] : inetAddrs(br);
  for (const a of addrs) if (a !== s.gatewayCidr) setup.push(`addr del ${a} dev ${SANDBOX_BRIDGE}`);
  if (!addrs.includes(s.gatewayCidr)) setup.push(`addr add ${s.gatewayCidr} dev ${SANDBOX_BRIDGE}`);
  if (br === undefined || !isUp(br)) setup.push(`link set ${SANDBOX_BRIDGE} up`);

  let vx = find(VXLAN_DEV);
  if (vx !== undefined && !vxlanMatches(vx, s)) {
    // Type options such as `proxy` cannot change on a live device.
    pre.push(`link del ${VXLAN_DEV}`);
    vx = undefined;
  }
  if (vx !== undefined && vx.mtu !== s.mtu) setup.push(`link set ${VXLAN_DEV} mtu ${s.mtu}`);
  if (vx === undefined || vx.master !== SANDBOX_BRIDGE || !isUp(vx)) setup.push(`link set ${VXLAN_DEV} master ${SANDBOX_BRIDGE} up`);

  return [
    [ipBatch(undefined, links === undefined ? [`netns add ${s.sandbox}`, sandboxNetfilterOffLine(s.sandbox)] : [])],
    [ipBatch(s.sandbox, pre)],
    [ipBatch(s.hostNs, vx === undefined ? [vxlanAddLine(s)] : [])],
    [ipBatch(s.sandbox, setup)],
  ];
}

export class OverlayDataplane {
  private readonly serial = new KeyedSerializer();

  constructor(private readonly runner: CommandRunner) {}

  /**
   * One read of the sandbox; a fresh network then costs up to three more processes. If this call
   * made the sandbox and a later step fails (say, another device on the host already has the
   * VNI), the sandbox goes again, so a failed add leaks nothing (STYLE §9).
   */
  async ensureNetwork(spec: OverlayNetworkSpec): Promise<void> {
    const s = validSpec(spec);
    return this.serial.run(s.sandbox, async () => {
      const links = await absentIfNoNetns(readLinks(this.runner, s.sandbox));
      try {
        await runSteps(this.runner, planNetwork(s, links));
      } catch (err) {
        if (links === undefined) await this.removeSandbox(s.sandbox).catch(() => undefined);
        throw err;
      }
    });
  }

  async removeNetwork(sandbox: string): Promise<void> {
    v.netnsName(sandbox);
    return this.serial.run(sandbox, () => this.removeSandbox(sandbox));
  }

  /**
   * Deletes vxlan0 and the containers' veths explicitly before the namespace: a namespace dies
   * asynchronously, and until it has, its vxlan0 still holds the VNI on the host's socket, so an
   * immediate re-create of the network would fail.
   */
  private async removeSandbox(sandbox: string): Promise<void> {
    const links = await absentIfNoNetns(readJson<IpLink>(this.runner, 'ip', sandbox, ['link', 'show']));
    if (links === undefined) return;
    const names = links.map((l) => l.ifname).filter((n) => n !== 'lo');
    const ordered = [...names.filter((n) => n === VXLAN_DEV), ...names.filter((n) => n !== VXLAN_DEV)];
    await runBatch(this.runner, ipBatch(sandbox, ordered.map((n) => `link del ${n}`)), { tolerateGone: true });
    await deleteNetns(this.runner, sandbox);
  }

  async attach(ep: OverlayEndpointSpec): Promise<void> {
    return attachVeth(this.runner, { ...ep, linkNs: v.netnsName(ep.sandbox), master: SANDBOX_BRIDGE });
  }

  async detach(ep: OverlayEndpointRef): Promise<void> {
    return detachVeth(this.runner, v.netnsName(ep.sandbox), ep.hostIfName);
  }

  /** Makes vxlan0's entries exactly `peers`: one read of each table, then one batch per tool. */
  async setPeers(sandbox: string, peers: readonly PeerSpec[]): Promise<void> {
    v.netnsName(sandbox);
    const desired = validatePeers(peers);
    return this.serial.run(sandbox, async () => {
      const [neighs, fdb] = await Promise.all([
        readJson<IpNeigh>(this.runner, 'ip', sandbox, ['neigh', 'show', 'dev', VXLAN_DEV]),
        readJson<FdbEntry>(this.runner, 'bridge', sandbox, ['fdb', 'show', 'dev', VXLAN_DEV]),
      ]);
      if (neighs === undefined || fdb === undefined) throw notFound(`no ${VXLAN_DEV} in sandbox ${sandbox}: ensureNetwork first`);
      const plan = planPeers(neighs, fdb, desired);
      await Promise.all([
        runBatch(this.runner, ipBatch(sandbox, plan.ipLines)),
        runBatch(this.runner, bridgeBatch(sandbox, plan.bridgeLines)),
      ]);
    });
  }

  /** For a watch event: no read, one batch per tool. */
  async addPeers(sandbox: string, peers: readonly PeerSpec[]): Promise<void> {
    v.netnsName(sandbox);
    const add = validatePeers(peers);
    return this.serial.run(sandbox, async () => {
      await Promise.all([
        runBatch(this.runner, ipBatch(sandbox, add.map(neighReplace))),
        runBatch(this.runner, bridgeBatch(sandbox, add.map(fdbReplace))),
      ]);
    });
  }

  /** For a watch event: no read, one batch per tool; entries (or the sandbox) already gone are fine. */
  async removePeers(sandbox: string, peers: readonly PeerSpec[]): Promise<void> {
    v.netnsName(sandbox);
    const remove = validatePeers(peers);
    return this.serial.run(sandbox, async () => {
      await Promise.all([
        runBatch(this.runner, ipBatch(sandbox, remove.flatMap(neighRemoveLines)), { tolerateGone: true }),
        runBatch(this.runner, bridgeBatch(sandbox, remove.map((p) => fdbDel(p.mac, p.vtep))), { tolerateGone: true }),
      ]);
    });
  }
}
