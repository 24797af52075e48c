// The core lab: two hosts on the lab LAN, each with an upstream resolver inside the lab that
// fails in its own way, and the overlay network `appnet` with a few long-lived containers.
//
//   198.18.0.1    the LAN namespace itself: nothing listens on port 53 there (port closed, the
//                 kernel answers ICMP port unreachable) → host2's upstream
//   198.18.0.254  an extra address on the LAN bridge with an iptables DROP rule in the LAN
//                 namespace (packets vanish) → host1's upstream
//
// Both exist only in the lab's own namespaces, which go with the lab.
import { LAN_GATEWAY, lanNetns, prepareLab } from '../../src/lab/index.js';
import type { Context, CoreLab } from '../context.js';
import { runOk } from '../lib/proc.js';
import { readRssMb, sampleRssMb } from './rss.js';

export const BLACKHOLE_UPSTREAM = '198.18.0.254';

export async function setUpCore(ctx: Context): Promise<CoreLab> {
  const { lab } = ctx;
  await prepareLab(lab.cfg);
  const lan = lanNetns(lab.cfg);
  await runOk(['ip', '-n', lan, 'addr', 'add', `${BLACKHOLE_UPSTREAM}/24`, 'dev', 'lan0']);
  await lab.runInLan(['iptables', '-w', '-I', 'INPUT', '-d', `${BLACKHOLE_UPSTREAM}/32`, '-j', 'DROP']);

  const core: CoreLab = { host1: 'host1', host2: 'host2', network: 'appnet', closedUpstream: LAN_GATEWAY, blackholeUpstream: BLACKHOLE_UPSTREAM };
  ctx.log(`creating ${core.host1} (dns=${core.blackholeUpstream}: drops) and ${core.host2} (dns=${core.closedUpstream}: port closed)`);
  await lab.createMachine(core.host1, [`dns=${core.blackholeUpstream}`]);
  await lab.createMachine(core.host2, [`dns=${core.closedUpstream}`]);

  // Idle: the daemon up, busybox imported, no network of its own and no container yet.
  const pid = await lab.weftdPid(core.host1);
  const idle = await sampleRssMb(pid, 5, 300);
  ctx.figures.weftd_rss_mb_idle = idle;
  ctx.details.weftd_rss_mb_idle_host2 = readRssMb(await lab.weftdPid(core.host2));
  return core;
}

/** appnet plus the long-lived containers: server and dnsref on host1, client on host2. */
export async function startCoreContainers(ctx: Context, core: CoreLab): Promise<void> {
  const { lab } = ctx;
  await lab.dockerOk(core.host1, ['network', 'create', '-d', 'overlay', core.network]);
  for (const [host, name] of [[core.host1, 'server'], [core.host1, 'dnsref'], [core.host2, 'client']] as const) {
    await lab.dockerOk(host, ['run', '-d', '--name', name, '--net', core.network, 'busybox', 'sleep', '100000']);
  }
}
