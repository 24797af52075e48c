// Scale: HOSTS hosts × CONTAINERS containers each on one overlay network (sqlite store), then
// - every host's FDB on vxlan0 must hold one entry per remote container: (HOSTS−1) × CONTAINERS;
// - all-pairs reachability, SAMPLED: random pairs of containers on different hosts ping once.
//
// scale_setup_s is the wall time for the hosts, the network and every container (docker run -d,
// one CLI stream per host with a few hosts at a time); the parts are reported too. The machines
// of the earlier phases are removed first, so the scale lab starts fresh and alone.
import { listMachines } from '../../src/lab/index.js';
import type { Context } from '../context.js';
import { msSince, nowNs, sleep } from '../lib/clock.js';
import { inPidNet } from '../lib/lab.js';
import { run, runOk } from '../lib/proc.js';
import { median } from '../lib/stats.js';
import { readRssMb } from './rss.js';
import { runParallel } from './util.js';

const NETWORK = 'scalenet';

interface Placed {
  readonly host: string;
  readonly name: string;
  readonly pid: number;
  readonly ip: string;
}

/** Permanent FDB entries with a remote VTEP on vxlan0 in the host's sandbox for the network. */
async function fdbEntries(ctx: Context, host: string): Promise<number> {
  const sandboxes = ctx.lab.weftdNetnsNames(host, 'sb-');
  if (sandboxes.length !== 1) return 0;
  const r = await runOk(['bridge', '-n', sandboxes[0]!, 'fdb', 'show', 'dev', 'vxlan0']);
  return r.stdout.split('\n').filter((l) => / dst \d/.test(l)).length;
}

export async function measureScale(ctx: Context): Promise<void> {
  const { lab, params } = ctx;
  const leftovers = (await listMachines(lab.cfg)).map((m) => m.name);
  if (leftovers.length > 0) {
    ctx.log(`removing ${leftovers.join(', ')} before the scale test`);
    await lab.removeMachines(leftovers);
  }
  const hosts = Array.from({ length: params.hosts }, (_, i) => `s${i + 1}`);
  const perHost = params.containers;
  ctx.log(`scale: ${hosts.length} hosts × ${perHost} containers`);
  const t0 = nowNs();
  // Machine creation holds the lab lock for part of its work; two at a time keeps both cores busy.
  await runParallel(hosts.length, 2, async (i) => {
    await lab.createMachine(hosts[i]!);
  });
  const hostsMs = msSince(t0);
  await lab.dockerOk(hosts[0]!, ['network', 'create', '-d', 'overlay', '--subnet', '10.128.0.0/16', NETWORK]);
  const t1 = nowNs();
  await runParallel(hosts.length, 3, async (h) => {
    for (let c = 0; c < perHost; c++) {
      await lab.dockerOk(hosts[h]!, ['run', '-d', '--name', `s${h + 1}c${c}`, '--net', NETWORK, 'busybox', 'sleep', '100000'], { timeoutMs: 120_000 });
    }
  });
  const containersMs = msSince(t1);
  ctx.figures.scale_hosts = hosts.length;
  ctx.figures.scale_containers = hosts.length * perHost;
  ctx.figures.scale_setup_s = msSince(t0) / 1000;
  ctx.figures.scale_hosts_s = hostsMs / 1000;
  ctx.figures.scale_containers_s = containersMs / 1000;

  // The last runs' peers may still be on their way to the other hosts: wait (bounded) until
  // every host has them all, and say how long that took.
  const expected = (hosts.length - 1) * perHost;
  ctx.figures.scale_fdb_expected_per_host = expected;
  const t2 = nowNs();
  let counts: number[] = [];
  for (let round = 0; round < 300; round++) {
    counts = await Promise.all(hosts.map((h) => fdbEntries(ctx, h)));
    if (counts.every((c) => c === expected)) break;
    await sleep(100);
  }
  ctx.figures.scale_fdb_settle_ms = msSince(t2);
  ctx.figures.scale_fdb_entries_per_host = median(counts);
  ctx.figures.scale_fdb_hosts_complete = counts.filter((c) => c === expected).length;
  ctx.samples.scale_fdb_entries = counts;
  if (!counts.every((c) => c === expected)) ctx.notes.push(`scale: FDB entries per host ${counts.join(',')}; expected ${expected} on every host`);

  const placed: Placed[] = [];
  for (const host of hosts) {
    const names = Array.from({ length: perHost }, (_, c) => `s${host.slice(1)}c${c}`);
    const out = await lab.dockerOk(host, ['inspect', '-f', `{{.Name}} {{.State.Pid}} {{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`, ...names]);
    for (const line of out.trim().split('\n')) {
      const [name, pid, ip] = line.trim().split(/\s+/);
      placed.push({ host, name: name!.replace(/^\//, ''), pid: Number(pid), ip: ip! });
    }
  }
  const pairs = samplePairs(placed, params.scalePairs);
  let ok = 0;
  const failed: string[] = [];
  for (const [a, b] of pairs) {
    const r = await run(inPidNet(a.pid, ['ping', '-n', '-c', '1', '-W', '2', b.ip]), { timeoutMs: 10_000 });
    if (r.code === 0) ok++;
    else failed.push(`${a.name}@${a.host} → ${b.name}@${b.host} (${b.ip})`);
  }
  ctx.figures.scale_ping_pairs = pairs.length;
  ctx.figures.scale_ping_ok = ok;
  if (failed.length > 0) ctx.notes.push(`scale: ${failed.length} sampled pair(s) did not ping: ${failed.slice(0, 5).join('; ')}`);

  const rss: number[] = [];
  for (const h of hosts) rss.push(readRssMb(await lab.weftdPid(h)));
  ctx.figures.weftd_rss_mb_scale_median = median(rss);
  ctx.samples.weftd_rss_mb_scale = rss;
}

/** `count` random pairs of containers on different hosts (with repeats only if there are too few). */
function samplePairs(placed: readonly Placed[], count: number): [Placed, Placed][] {
  const pairs: [Placed, Placed][] = [];
  const seen = new Set<string>();
  for (let tries = 0; pairs.length < count && tries < count * 50; tries++) {
    const a = placed[Math.floor(Math.random() * placed.length)]!;
    const b = placed[Math.floor(Math.random() * placed.length)]!;
    if (a.host === b.host) continue;
    const key = `${a.name}>${b.name}`;
    if (seen.has(key) && tries < count * 25) continue;
    seen.add(key);
    pairs.push([a, b]);
  }
  return pairs;
}
