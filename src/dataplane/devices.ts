// Device options live here and only here: every `link add` the data plane issues is built in this
// file, next to the check that says whether an existing device already matches. MTU, queue length
// and offload tuning (bench/) has one place to change.
//
// Tried for overlay throughput (iperf3, 2 vCPUs, paired runs against the unchanged lines): vxlan
// noudpcsum, `df set ttl 64`, learning off on br0's ports (wrong anyway: br0 would flood), GRO off
// on vxlan0, GRO (NAPI) on the veths. None changed throughput or CPU per byte consistently, so the
// lines keep the kernel defaults.
// GSO skbs already cross every hop whole (the veths carry tx-udp_tnl-segmentation), so nothing is
// checksummed or segmented in software. IPv4 BIG TCP is out of reach: iproute2 6.1 has no
// gso_ipv4_max_size and vxlan0's tso_max_size is 64 KiB. These devices are noqueue: no txqueuelen.
// What did pay is turning br_netfilter off in the sandbox (sandboxNetfilterOffLine).
import type { IpLink } from './iproute.js';

/** IANA's VXLAN port; Docker's overlay used it too. */
export const VXLAN_PORT = 4789;

/** VXLAN over IPv4 adds 50 bytes: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
export const VXLAN_OVERHEAD = 50;

export interface VxlanOptions {
  readonly sandbox: string;
  readonly vni: number;
  readonly mtu: number;
  readonly vtepIp: string;
  readonly dstPort: number;
}

/**
 * Run in the host namespace: the device is born in the sandbox while its UDP socket stays in the
 * host (creating in place costs 0.7 ms; moving a device costs 17-20 ms). `nolearning proxy` make
 * the kernel answer ARP from the static neighbour entries the control plane installs (STYLE §5);
 * `proxy` cannot be changed later, so a mismatch means recreating the device.
 */
export function vxlanAddLine(o: VxlanOptions): string {
  return `link add vxlan0 netns ${o.sandbox} mtu ${o.mtu} type vxlan id ${o.vni} dstport ${o.dstPort} local ${o.vtepIp} nolearning proxy l2miss l3miss`;
}

/** Whether an existing vxlan0 has the type options vxlanAddLine would give it (MTU is fixed in place). */
export function vxlanMatches(link: IpLink, o: VxlanOptions): boolean {
  const d = link.linkinfo?.info_data;
  return (
    link.linkinfo?.info_kind === 'vxlan' &&
    d !== undefined &&
    d['id'] === o.vni &&
    d['local'] === o.vtepIp &&
    d['port'] === o.dstPort &&
    d['learning'] === false &&
    d['proxy'] === true &&
    d['l2miss'] === true &&
    d['l3miss'] === true
  );
}

/** An explicit MTU keeps the bridge from following its smallest port up and down. */
export function bridgeAddLine(name: string, mtu: number): string {
  return `link add ${name} mtu ${mtu} type bridge`;
}

export interface VethOptions {
  readonly hostIfName: string;
  readonly ifName: string;
  readonly containerNs: string;
  readonly mac: string;
  readonly mtu: number;
}

/** Both ends are placed at creation, so nothing has to move between namespaces. */
export function vethAddLine(o: VethOptions): string {
  return `link add ${o.hostIfName} mtu ${o.mtu} type veth peer name ${o.ifName} address ${o.mac} mtu ${o.mtu} netns ${o.containerNs}`;
}

/**
 * A line for the batch that makes an overlay sandbox (after `netns add`): br_netfilter off in that
 * namespace. `bridge-nf-call-iptables` starts at 1 in every new namespace and the kernel ORs it with
 * br0's own `nf_call_iptables 0`, so until this runs every bridged overlay packet takes br_netfilter's
 * detour through the sandbox's (empty) IPv4 hooks: an skb extension and three hook walks per packet,
 * on both hosts. Off, overlay iperf3 gained 4-11 % (medians of paired runs; single runs vary more). `-e`: a kernel without
 * br_netfilter has no such keys, and nothing to turn off. Sandboxes only: a local bridge network's
 * isolation rules need its bridged traffic to meet iptables.
 */
export function sandboxNetfilterOffLine(sandbox: string): string {
  return `netns exec ${sandbox} sysctl -qew net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0`;
}
