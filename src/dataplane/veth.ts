// A container's interface: a veth whose host end is a port of some bridge (the overlay sandbox's
// br0, or a local bridge network's bridge) and whose other end is the container's eth0. Shared by
// the overlay and bridge data planes; only where the host end lives differs.
import { createHash } from 'node:crypto';
import { vethAddLine } from './devices.js';
import {
  type Batch,
  type IpLink,
  type IpRoute,
  inetAddrs,
  ipBatch,
  isAlreadyGone,
  isUp,
  kindOf,
  readLink,
  readMany,
  runSteps,
} from './iproute.js';
import { CommandError, type CommandRunner } from './runner.js';
import * as v from './validate.js';

/** How a container is plugged in, whatever bridge its host end joins. */
export interface ContainerPlug {
  readonly containerNs: string;
  readonly hostIfName: string;
  readonly ifName: string;
  readonly mac: string;
  readonly addressCidr: string;
  readonly gateway: string;
  readonly mtu: number;
  readonly defaultRoute: boolean;
  /**
   * The container's namespace is new (its lo still down) and this endpoint's host name unused:
   * nothing to read, so the pair is planned from the known-empty state: one process instead of
   * four, which also brings lo up.
   */
  readonly fresh?: boolean;
}

export interface VethAttachment extends ContainerPlug {
  /** Namespace of the host end; undefined = the calling process's own. */
  readonly linkNs: string | undefined;
  /** The bridge the host end is a port of. */
  readonly master: string;
}

/**
 * Host-side interface name for an endpoint: `veth` + 8 hex (12 chars, within IFNAMSIZ 15).
 * A hex endpoint ID gives its own prefix, so `ip link` can be matched to `docker inspect` by eye.
 */
export function vethName(endpointId: string): string {
  const hex = /^[0-9a-f]{8,}$/i.test(endpointId) ? endpointId.toLowerCase() : createHash('sha256').update(endpointId).digest('hex');
  return `veth${hex.slice(0, 8)}`;
}

function validated(a: VethAttachment): VethAttachment {
  const address = v.cidr4(a.addressCidr);
  return {
    linkNs: v.optionalNetns(a.linkNs),
    master: v.ifName(a.master),
    containerNs: v.netnsName(a.containerNs),
    hostIfName: v.ifName(a.hostIfName),
    ifName: v.ifName(a.ifName),
    mac: v.mac(a.mac),
    addressCidr: `${address.ip}/${address.prefixLen}`,
    gateway: v.ipv4(a.gateway),
    mtu: v.mtu(a.mtu),
    defaultRoute: a.defaultRoute,
    fresh: a.fresh,
  };
}

/** Reads both ends (two processes, in parallel) unless `fresh`, then writes only what differs. */
export async function attachVeth(runner: CommandRunner, attachment: VethAttachment): Promise<void> {
  const a = validated(attachment);
  const plan = a.fresh
    ? planFresh(a)
    : await Promise.all([
      readLink(runner, a.linkNs, a.hostIfName),
      readMany(runner, a.containerNs, ['-d'], ['addr show', 'route show default']),
    ]).then(([hostEnd, [links, routes]]) => planAttach(a, hostEnd, links as IpLink[], routes as IpRoute[]));
  try {
    await runSteps(runner, plan.steps);
  } catch (err) {
    // A pair made by this call goes again, so a failed add leaks nothing (STYLE §9).
    if (plan.creates) await detachVeth(runner, a.linkNs, a.hostIfName).catch(() => undefined);
    throw err;
  }
}

interface AttachPlan {
  readonly steps: Batch[][];
  /** Whether the steps create the veth pair (rather than fix an existing one). */
  readonly creates: boolean;
}

function planAttach(a: VethAttachment, hostEnd: IpLink | undefined, ctrLinks: readonly IpLink[], ctrRoutes: readonly IpRoute[]): AttachPlan {
  const eth = ctrLinks.find((l) => l.ifname === a.ifName);
  const paired =
    hostEnd !== undefined &&
    eth !== undefined &&
    kindOf(hostEnd) === 'veth' &&
    kindOf(eth) === 'veth' &&
    hostEnd.link_index === eth.ifindex &&
    eth.link_index === hostEnd.ifindex;
  if (paired) {
    const hostLines: string[] = [];
    if (hostEnd.mtu !== a.mtu) hostLines.push(`link set ${a.hostIfName} mtu ${a.mtu}`);
    if (hostEnd.master !== a.master || !isUp(hostEnd)) hostLines.push(`link set ${a.hostIfName} master ${a.master} up`);
    return { steps: [[ipBatch(a.linkNs, hostLines), ipBatch(a.containerNs, containerLines(a, eth, ctrRoutes))]], creates: false };
  }
  // Half a pair, or a stranger under one of our names: start over.
  const cleanup: Batch[] = [];
  if (hostEnd !== undefined) cleanup.push(ipBatch(a.linkNs, [`link del ${a.hostIfName}`]));
  if (eth !== undefined) cleanup.push(ipBatch(a.containerNs, [`link del ${a.ifName}`]));
  const create = ipBatch(a.linkNs, [vethAddLine(a), `link set ${a.hostIfName} master ${a.master} up`]);
  return { steps: [cleanup, [create], [ipBatch(a.containerNs, containerLines(a, undefined, []))]], creates: true };
}

/** One process: the pair made from the link's namespace, which then runs the container's lines (lo too). */
function planFresh(a: VethAttachment): AttachPlan {
  const create: Batch = {
    ...ipBatch(a.linkNs, [vethAddLine(a), `link set ${a.hostIfName} master ${a.master} up`]),
    then: { ns: a.containerNs, lines: ['link set lo up', ...containerLines(a, undefined, [])] },
  };
  return { steps: [[create]], creates: true };
}

/** The container end's MAC, MTU, address, state and default route; `eth` undefined = just created. */
function containerLines(a: VethAttachment, eth: IpLink | undefined, routes: readonly IpRoute[]): string[] {
  const lines: string[] = [];
  if (eth !== undefined && eth.address !== a.mac) lines.push(`link set ${a.ifName} address ${a.mac}`);
  if (eth !== undefined && eth.mtu !== a.mtu) lines.push(`link set ${a.ifName} mtu ${a.mtu}`);
  const have = eth === undefined ? [] : inetAddrs(eth);
  for (const addr of have) if (addr !== a.addressCidr) lines.push(`addr del ${addr} dev ${a.ifName}`);
  if (!have.includes(a.addressCidr)) lines.push(`addr add ${a.addressCidr} dev ${a.ifName}`);
  if (eth === undefined || !isUp(eth)) lines.push(`link set ${a.ifName} up`);
  const defaults = routes.filter((r) => r.dst === 'default');
  if (a.defaultRoute) {
    if (!defaults.some((r) => r.gateway === a.gateway && r.dev === a.ifName)) {
      lines.push(`route replace default via ${a.gateway} dev ${a.ifName}`);
    }
  } else {
    for (const r of defaults) if (r.dev === a.ifName) lines.push(`route del default${r.gateway ? ` via ${r.gateway}` : ''} dev ${a.ifName}`);
  }
  return lines;
}

/** Deleting one end of a veth deletes both; a missing end or namespace counts as done. */
export async function detachVeth(runner: CommandRunner, linkNs: string | undefined, hostIfName: string): Promise<void> {
  const argv = linkNs === undefined ? ['ip', 'link', 'del', v.ifName(hostIfName)] : ['ip', '-n', v.netnsName(linkNs), 'link', 'del', v.ifName(hostIfName)];
  const r = await runner.run(argv, { allowFail: true });
  if (r.code !== 0 && !isAlreadyGone(r.stderr)) throw new CommandError(argv, r.code, r.stderr);
}
