// Convergence: from the moment `docker run -d --name X --net appnet …` is invoked on one host
// until X resolves in a container on another host, per cluster store; then, from the same
// start, until the answered address is first reached from there:
//   first_reach: a TCP SYN to a closed port answered by RST, sent by the probe itself (no
//     process start in the way: it shows when the data plane is ready);
//   first_ping:  right after, iputils ping's first echo reply, as a user would see it; it holds
//     ping's own start-up (exec, socket set-up: several ms on this machine kind).
//
// Each trial starts the probe (bench/tools/probe.ts `poll`) in the polling container's network
// namespace and waits for its `ready` before invoking docker, so the probe's own start-up is
// never timed. The probe sends an A query for X to 127.0.0.11 every 0.5 ms and stops at the
// first answer carrying an A record; both sides read CLOCK_MONOTONIC, so the figure is the
// probe's instant minus the orchestrator's instant just before spawning the CLI.
//
// The CLI reaches the host through a RequestTap, which notes when `POST …/start` arrives: per
// trial, `cli` = that arrival − the spawn instant (the docker CLI's own share: process start,
// _ping, create, wait), and `after_start` = the answer − that arrival (weftd's start up to the
// store write, the store, the far host's watch, peer entries and name table).
//
// Stores: sqlite (the lab's default, shared file) on host1 → host2; etcd and ZooKeeper on a pair
// of hosts of their own, with the server on the lab host `kv` (`weft store start --machine kv`).
// A store whose backend this weftd build lacks is reported absent, with a note.
import type { Context, CoreLab } from '../context.js';
import { timingProbe } from '../context.js';
import { nowNs, nsToMs, sleep } from '../lib/clock.js';
import { inPidNet } from '../lib/lab.js';
import { Background } from '../lib/proc.js';
import { max, median, percentile } from '../lib/stats.js';
import { startStoreInLab, type StoreServer } from '../lib/store-servers.js';
import type { StoreKind } from '../params.js';
import { socketPath } from '../../src/lab/index.js';
import { RequestTap } from '../lib/request-tap.js';
import { parseProbe } from './util.js';

interface PollResult {
  ok: boolean;
  why?: string;
  ip?: string;
  answerNs?: string;
  reachNs?: string;
  pingNs?: string;
  pingWhy?: string;
  sent: number;
  maxGapUs: number;
  meanGapUs: number | null;
}

export interface Pair {
  readonly runHost: string;
  readonly pollHost: string;
  readonly network: string;
  readonly pollContainer: string;
}

interface Trials {
  readonly convergence: number[];
  readonly firstPing: number[];
  readonly firstReach: number[];
  /** Per trial: first reach minus resolve, i.e. how long a resolvable name was not yet reachable. */
  readonly reachAfterResolve: number[];
  readonly run: number[];
  /** Per trial: until `POST …/start` reached weftd, and from then until the name resolved. */
  readonly cli: number[];
  readonly afterStart: number[];
  readonly maxGapUs: number[];
  readonly failures: string[];
}

export async function convergenceTrials(ctx: Context, pair: Pair, count: number, tag: string): Promise<Trials> {
  const { lab } = ctx;
  const pollPid = await lab.containerPid(pair.pollHost, pair.pollContainer);
  const out: Trials = { convergence: [], firstPing: [], firstReach: [], reachAfterResolve: [], run: [], cli: [], afterStart: [], maxGapUs: [], failures: [] };
  const tap = await RequestTap.open(socketPath(lab.cfg, pair.runHost));
  try {
    await trials(ctx, pair, count, tag, pollPid, tap, out);
  } finally {
    await tap.close();
  }
  return out;
}

async function trials(ctx: Context, pair: Pair, count: number, tag: string, pollPid: number, tap: RequestTap, out: Trials): Promise<void> {
  const { lab } = ctx;
  for (let i = 0; i < count; i++) {
    const name = `cv${tag}${i}`;
    const probe = new Background(inPidNet(pollPid, timingProbe('poll', ['--name', name, '--interval-us', '500', '--deadline-ms', '15000', '--ping'])));
    try {
      await probe.waitForLine((l) => l === 'ready', 15_000, 'convergence probe');
      const t0 = nowNs();
      const r = await lab.dockerAt(`unix://${tap.socketPath}`, ['run', '-d', '--name', name, '--net', pair.network, 'busybox', 'sleep', '1000']);
      if (r.code !== 0) throw new Error(`docker run exited ${r.code}: ${r.stderr.trim()}`);
      out.run.push(r.ms);
      const line = await probe.waitForLine((l) => l.startsWith('{'), 30_000, 'convergence probe result');
      const res = parseProbe<PollResult>(line, 'convergence probe');
      out.maxGapUs.push(res.maxGapUs);
      if (!res.ok || res.answerNs === undefined) {
        out.failures.push(`${name}: ${res.why}`);
        continue;
      }
      out.convergence.push(nsToMs(BigInt(res.answerNs) - t0));
      const start = tap.find('POST', '/start', t0);
      if (start !== undefined) {
        out.cli.push(nsToMs(start.ns - t0));
        out.afterStart.push(nsToMs(BigInt(res.answerNs) - start.ns));
      }
      if (res.reachNs !== undefined) {
        out.firstReach.push(nsToMs(BigInt(res.reachNs) - t0));
        out.reachAfterResolve.push(nsToMs(BigInt(res.reachNs) - BigInt(res.answerNs)));
      }
      if (res.pingNs !== undefined) out.firstPing.push(nsToMs(BigInt(res.pingNs) - t0));
      else out.failures.push(`${name}: resolved to ${res.ip} but no ping reply: ${res.pingWhy}`);
    } finally {
      await probe.wait(20_000);
    }
    await lab.dockerOk(pair.runHost, ['rm', '-f', name]);
    // Let the removal reach the other host before the next trial starts.
    await sleep(300);
  }
}

function record(ctx: Context, store: StoreKind, t: Trials): void {
  // The issue names the etcd figures without a suffix: etcd is the reference store.
  const suffix = store === 'etcd' ? '' : `_${store}`;
  if (store === 'etcd') ctx.details.first_ping_store = 'etcd';
  ctx.figures[`convergence_ms_median${suffix}`] = median(t.convergence);
  ctx.figures[`convergence_ms_p99${suffix}`] = percentile(t.convergence, 99);
  ctx.figures[`first_ping_ms_median${suffix}`] = median(t.firstPing);
  ctx.figures[`first_reach_ms_median${suffix}`] = median(t.firstReach);
  ctx.figures[`convergence_run_ms_median${suffix}`] = median(t.run);
  ctx.figures[`convergence_cli_ms_median${suffix}`] = median(t.cli);
  ctx.figures[`convergence_after_start_ms_median${suffix}`] = median(t.afterStart);
  ctx.figures[`convergence_after_start_ms_p99${suffix}`] = percentile(t.afterStart, 99);
  ctx.figures[`reach_after_resolve_ms_median${suffix}`] = median(t.reachAfterResolve);
  ctx.figures[`reach_after_resolve_ms_max${suffix}`] = max(t.reachAfterResolve);
  ctx.samples[`convergence_ms_${store}`] = t.convergence;
  ctx.samples[`first_ping_ms_${store}`] = t.firstPing;
  ctx.samples[`first_reach_ms_${store}`] = t.firstReach;
  ctx.samples[`convergence_run_ms_${store}`] = t.run;
  ctx.samples[`convergence_cli_ms_${store}`] = t.cli;
  ctx.samples[`convergence_after_start_ms_${store}`] = t.afterStart;
  ctx.samples[`reach_after_resolve_ms_${store}`] = t.reachAfterResolve;
  ctx.details[`convergence_${store}`] = {
    trials: t.convergence.length + t.failures.length,
    failures: t.failures,
    poll_max_gap_us: max(t.maxGapUs),
    poll_median_max_gap_us: median(t.maxGapUs),
  };
  if (t.failures.length > 0) ctx.notes.push(`convergence on ${store}: ${t.failures.length} trial(s) failed: ${t.failures.slice(0, 3).join('; ')}`);
}

export async function measureConvergence(ctx: Context, core: CoreLab, store: StoreKind): Promise<void> {
  const { lab, params } = ctx;
  if (store === 'sqlite') {
    ctx.log(`convergence on sqlite: ${params.convergenceSamples.sqlite} trials ${core.host1} → ${core.host2}`);
    const t = await convergenceTrials(ctx, { runHost: core.host1, pollHost: core.host2, network: core.network, pollContainer: 'client' }, params.convergenceSamples.sqlite, 'sq');
    record(ctx, store, t);
    // The unsuffixed first-ping figure is the default store's until etcd provides one.
    ctx.figures.first_ping_ms_median ??= ctx.figures.first_ping_ms_median_sqlite ?? null;
    ctx.figures.first_reach_ms_median ??= ctx.figures.first_reach_ms_median_sqlite ?? null;
    ctx.figures.reach_after_resolve_ms_median ??= ctx.figures.reach_after_resolve_ms_median_sqlite ?? null;
    ctx.figures.reach_after_resolve_ms_max ??= ctx.figures.reach_after_resolve_ms_max_sqlite ?? null;
    ctx.details.first_ping_store ??= 'sqlite';
    return;
  }
  let server: StoreServer;
  try {
    server = await startStoreInLab(lab, store);
  } catch (err) {
    ctx.notes.push(`convergence on ${store}: the ${store} server did not start in the lab (${String(err).slice(0, 300)}); its figures are absent`);
    return;
  }
  const hosts = store === 'etcd' ? ['etcd1', 'etcd2'] : ['zk1', 'zk2'];
  const made: string[] = [];
  try {
    try {
      for (const h of hosts) {
        await lab.createMachine(h, [`cluster-store=${server.url}`, `dns=${core.closedUpstream}`]);
        made.push(h);
      }
    } catch (err) {
      const why = String(err);
      const missing = /backend is not available|not available in this build|unsupported/i.test(why);
      ctx.notes.push(
        missing
          ? `convergence on ${store}: weftd has no ${store} backend yet ("${/cluster store [^\n]*/.exec(why)?.[0] ?? why.slice(0, 200)}"); its figures are absent`
          : `convergence on ${store}: a host with --cluster-store ${server.url} did not start: ${why.slice(0, 400)}`,
      );
      return;
    }
    await lab.dockerOk(hosts[0]!, ['network', 'create', '-d', 'overlay', core.network]);
    await lab.dockerOk(hosts[1]!, ['run', '-d', '--name', 'poller', '--net', core.network, 'busybox', 'sleep', '100000']);
    ctx.log(`convergence on ${store}: ${params.convergenceSamples[store]} trials ${hosts[0]} → ${hosts[1]}`);
    const t = await convergenceTrials(ctx, { runHost: hosts[0]!, pollHost: hosts[1]!, network: core.network, pollContainer: 'poller' }, params.convergenceSamples[store], store.slice(0, 2));
    record(ctx, store, t);
  } finally {
    // Their weftds would only add background load to the measurements after this one.
    if (made.length > 0) await lab.removeMachines(made);
    await server.stop();
  }
}
