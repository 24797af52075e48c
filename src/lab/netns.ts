// The lab's network namespaces: the LAN (a bridge) and one namespace per machine, wired to the
// LAN by a veth created in place (both ends placed at creation, so nothing moves between
// namespaces). Nothing here touches the machine's root namespace.
import fs from 'node:fs';
import {
  LAN_BRIDGE,
  LAN_GATEWAY,
  LAN_PREFIX_LENGTH,
  MACHINE_IFACE,
  labNetnsPrefix,
  lanNetns,
  machineNetns,
  netnsPath,
  type LabConfig,
} from './naming.js';
import { ipBatch, run } from './run.js';

/** Every network namespace of the lab, by name (read from /run/netns, as `ip netns list` does). */
export function labNetnsNames(lab: LabConfig): string[] {
  let names: string[];
  try {
    names = fs.readdirSync('/run/netns');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((n) => n.startsWith(labNetnsPrefix(lab))).sort();
}

export const netnsExists = (netns: string) => fs.existsSync(netnsPath(netns));

/**
 * The inode of the namespace bind-mounted at `file` (what /proc/<pid>/ns/* of its processes link
 * to), or undefined if nothing is mounted there: a bare file's inode must never match a process.
 */
export function nsfsInode(file: string): number | undefined {
  try {
    const st = fs.statSync(file);
    return st.dev === fs.statSync('/proc/self/ns/net').dev ? st.ino : undefined;
  } catch {
    return undefined;
  }
}

export async function ensureLan(lab: LabConfig): Promise<void> {
  const lan = lanNetns(lab);
  if (netnsExists(lan)) return;
  await run(['ip', 'netns', 'add', lan]);
  try {
    await ipBatch(lan, [
      'link set lo up',
      `link add ${LAN_BRIDGE} type bridge`,
      `addr add ${LAN_GATEWAY}/${LAN_PREFIX_LENGTH} dev ${LAN_BRIDGE}`,
      `link set ${LAN_BRIDGE} up`,
    ]);
  } catch (err) {
    // A LAN without its bridge would be taken as ready next time: leave no LAN instead.
    await deleteNetns([lan]).catch(() => undefined);
    throw err;
  }
}

/** The machine's port on the LAN bridge: named by its address, which is unique in the lab. */
const lanPort = (ip: string) => `p${ip.split('.')[3]}`;

export async function addMachineNetns(lab: LabConfig, host: string, ip: string): Promise<void> {
  const lan = lanNetns(lab);
  const netns = machineNetns(lab, host);
  const port = lanPort(ip);
  // A port by this name can only be a leftover: the address is free in machines.json.
  await run(['ip', '-n', lan, 'link', 'del', port]).catch(() => undefined);
  await run(['ip', 'netns', 'add', netns]);
  await ipBatch(lan, [
    `link add ${port} type veth peer name ${MACHINE_IFACE} netns ${netns}`,
    `link set ${port} alias ${host}`,
    `link set ${port} master ${LAN_BRIDGE} up`,
  ]);
  await ipBatch(netns, [
    'link set lo up',
    `addr add ${ip}/${LAN_PREFIX_LENGTH} dev ${MACHINE_IFACE}`,
    `link set ${MACHINE_IFACE} up`,
  ]);
}

/**
 * Delete namespaces by name (their links, iptables rules and routes go with them). Run this
 * after the processes inside are gone, or the namespaces live on, nameless, as long as they do.
 */
export async function deleteNetns(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await ipBatch(undefined, names.map((n) => `netns del ${n}`), true).catch(() => undefined);
  const left = names.filter(netnsExists);
  if (left.length > 0) throw new Error(`could not delete network namespaces: ${left.join(', ')}`);
}
