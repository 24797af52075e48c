// A scripted kernel for the unit tests: canned answers to the data plane's reads, keyed by argv
// text, shaped like iproute2 6.1's `-json` output (only the fields the data plane looks at).
import type { Responder, RunResult } from '../../src/dataplane/runner.js';

export type Replies = Record<string, Partial<RunResult> | string>;

/** Unlisted commands succeed with no output, as writes do. */
export function scripted(replies: Replies): Responder {
  return (call) => {
    const r = replies[call.argv.join(' ')];
    return typeof r === 'string' ? { stdout: r } : r;
  };
}

export const noNetns = (ns: string): Partial<RunResult> => ({ code: 255, stderr: `Cannot open network namespace "${ns}": No such file or directory\n` });
export const noDevice = (dev: string): Partial<RunResult> => ({ code: 1, stderr: `Device "${dev}" does not exist.\n` });

export interface LinkFixture {
  ifindex: number;
  ifname: string;
  kind?: string;
  mtu?: number;
  up?: boolean;
  master?: string;
  address?: string;
  link_index?: number;
  addrs?: string[];
  info_data?: Record<string, unknown>;
}

export function link(f: LinkFixture): Record<string, unknown> {
  return {
    ifindex: f.ifindex,
    ...(f.link_index === undefined ? {} : { link_index: f.link_index }),
    ifname: f.ifname,
    flags: f.up === false ? ['BROADCAST', 'MULTICAST'] : ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: f.mtu ?? 1500,
    ...(f.master === undefined ? {} : { master: f.master }),
    address: f.address ?? '00:00:00:00:00:00',
    ...(f.kind === undefined ? {} : { linkinfo: { info_kind: f.kind, ...(f.info_data ? { info_data: f.info_data } : {}) } }),
    addr_info: (f.addrs ?? []).map((cidr) => {
      const [local, len] = cidr.split('/');
      return { family: 'inet', local, prefixlen: Number(len), scope: 'global' };
    }),
  };
}

export const lo = link({ ifindex: 1, ifname: 'lo', mtu: 65536, addrs: ['127.0.0.1/8'] });

export const vxlanData = (vni: number, local: string) => ({
  id: vni,
  local,
  port: 4789,
  learning: false,
  proxy: true,
  l2miss: true,
  l3miss: true,
});

export const json = (...docs: unknown[]): string => docs.map((d) => JSON.stringify(d)).join('\n') + '\n';
