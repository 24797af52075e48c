// Throwaway namespaces for the real-kernel tests. Every name carries a per-run prefix; nothing is
// configured in the machine's root namespace, and `destroy` removes everything with the prefix.
import { randomBytes } from 'node:crypto';
import { ExecRunner, type RecordedCall } from '../../src/dataplane/runner.js';
import { createNetns, deleteNetns, listNetns, netnsPath } from '../../src/dataplane/netns.js';

export const exec = new ExecRunner();

export const runPrefix = (): string => `wd${randomBytes(2).toString('hex')}-`;

/** Runs argv inside namespace `ns` (test helpers only: weftd never enters namespaces this way). */
export const inNs = (ns: string, argv: readonly string[]): string[] => ['nsenter', `--net=${netnsPath(ns)}`, ...argv];

export class Lab {
  readonly hostA: string;
  readonly hostB: string;
  readonly lanA = '198.18.1.1';
  readonly lanB = '198.18.1.2';

  constructor(readonly prefix: string) {
    this.hostA = `${prefix}ha`;
    this.hostB = `${prefix}hb`;
  }

  name(suffix: string): string {
    return `${this.prefix}${suffix}`;
  }

  /** Two hosts joined by a veth "LAN", 198.18.1.1 and 198.18.1.2, MTU 1500. */
  async createHosts(): Promise<void> {
    await createNetns(exec, this.hostA);
    await createNetns(exec, this.hostB);
    const lan = this.name('lan');
    await exec.run(['ip', '-n', this.hostA, 'link', 'add', lan, 'mtu', '1500', 'type', 'veth', 'peer', 'name', lan, 'netns', this.hostB]);
    for (const [ns, ip] of [[this.hostA, this.lanA], [this.hostB, this.lanB]] as const) {
      await exec.run(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', lan]);
      await exec.run(['ip', '-n', ns, 'link', 'set', lan, 'up']);
    }
  }

  async destroy(): Promise<string[]> {
    for (const ns of await listNetns(exec, this.prefix)) await deleteNetns(exec, ns);
    return listNetns(exec, this.prefix);
  }
}

/** One echo request; true when a reply came back within `waitS` seconds. */
async function pingOnce(ns: string, ip: string, waitS: number, args: readonly string[]): Promise<boolean> {
  const r = await exec.run(inNs(ns, ['ping', '-n', '-q', '-c', '1', '-W', String(waitS), ...args, ip]), { allowFail: true });
  return r.code === 0;
}

/**
 * Expecting a reply, a few tries: a container that asked for an address before its peer entries
 * existed holds an INCOMPLETE neighbour entry, which turns FAILED up to 3 s later and then fails
 * the packets queued on it with "host unreachable"; the next packet resolves afresh.
 */
export async function reaches(ns: string, ip: string, args: readonly string[] = []): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) if (await pingOnce(ns, ip, 2, args)) return true;
  return false;
}

/** Expecting no reply, one request and a second is plenty. */
export const noReply = async (ns: string, ip: string, args: readonly string[] = []): Promise<boolean> => !(await pingOnce(ns, ip, 1, args));

export async function json(argv: readonly string[]): Promise<unknown> {
  const out = (await exec.run(argv)).stdout.trim();
  return out === '' ? [] : JSON.parse(out);
}

/** Drops what the kernel changes by itself over time: bridge timers, and operstate, which a new
 * bridge moves from UNKNOWN to UP a moment after its first port comes up. */
export function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value !== null && typeof value === 'object') {
    const keep = ([k]: [string, unknown]) => !k.endsWith('_timer') && k !== 'operstate';
    return Object.fromEntries(Object.entries(value).filter(keep).map(([k, v]) => [k, stable(v)]));
  }
  return value;
}

/** Everything the data plane manages in a namespace, minus what the kernel changes on its own. */
export async function dumpNs(ns: string, opts: { vxlan?: boolean } = {}): Promise<unknown> {
  const dump: Record<string, unknown> = {
    links: stable(await json(['ip', '-n', ns, '-d', '-json', 'link', 'show'])),
    addrs: stable(await json(['ip', '-n', ns, '-4', '-json', 'addr', 'show'])),
    routes: await json(['ip', '-n', ns, '-4', '-json', 'route', 'show']),
    neigh: await json(['ip', '-n', ns, '-json', 'neigh', 'show', 'nud', 'permanent']),
  };
  if (opts.vxlan) dump['fdb'] = await json(['bridge', '-n', ns, '-json', 'fdb', 'show', 'dev', 'vxlan0']);
  return dump;
}

/** Reads are `-json` dumps, `iptables-save` and `sysctl -n`; anything else changes the kernel. */
export function writes(calls: readonly RecordedCall[]): string[] {
  const isRead = (argv: readonly string[]) =>
    argv.includes('-json') || argv.at(-1) === 'iptables-save' || (argv.includes('sysctl') && argv.includes('-n'));
  return calls.filter((c) => !isRead(c.argv)).map((c) => c.argv.join(' '));
}
