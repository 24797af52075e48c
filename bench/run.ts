// `make bench`: builds its own lab, runs every measurement, prints the table and writes
// bench/results/latest.json. The lab is removed at the end, also when a measurement fails or
// the run is interrupted (SIGINT/SIGTERM); a run killed outright is cleaned up by the next one.
//
// Exit code: 0 when every measurement ran (whether or not targets are met), 1 otherwise.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../src/lab/index.js';
import type { Context, CoreLab } from './context.js';
import { msSince, nowNs } from './lib/clock.js';
import { foreignCores, snapshot } from './lib/foreign-cpu.js';
import { BenchLab } from './lib/lab.js';
import { killAllChildren, run } from './lib/proc.js';
import { round } from './lib/stats.js';
import { measureAttach } from './measure/attach.js';
import { measureConvergence } from './measure/convergence.js';
import { measureDnsPerf } from './measure/dns-perf.js';
import { measureDnsUnknown } from './measure/dns-unknown.js';
import { measureNetworkCreate } from './measure/network-create.js';
import { measureLoadedRss } from './measure/rss.js';
import { measureRtt } from './measure/rtt.js';
import { measureRunLatency } from './measure/run-latency.js';
import { measureScale } from './measure/scale.js';
import { setUpCore, startCoreContainers } from './measure/setup.js';
import { measureThroughput } from './measure/throughput.js';
import { paramsFromEnv } from './params.js';
import { renderTable, writeResults, type Figures } from './report.js';

const started = new Date();
const t0 = nowNs();
const log = (m: string) => process.stderr.write(`[bench ${(msSince(t0) / 1000).toFixed(1).padStart(6)} s] ${m}\n`);

/** Other weftds on this box (other people's labs): they compete for the same two cores. */
function foreignWeftds(ownLab: string): number {
  let n = 0;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes('weftd') && cmd.includes('--netns-prefix') && !cmd.includes(`${ownLab}-`)) n++;
  }
  return n;
}

async function versions(): Promise<Record<string, string>> {
  const first = async (argv: string[]) => (await run(argv, { timeoutMs: 10_000 }).catch(() => undefined))?.stdout.split('\n')[0]?.trim() ?? '?';
  return {
    node: process.version,
    kernel: os.release(),
    cpus: String(os.cpus().length),
    docker_cli: await first(['/usr/local/bin/docker', '--version']),
    iperf3: await first(['iperf3', '--version']),
    dnsperf: (await run(['dnsperf', '-H'], { timeoutMs: 10_000 }).then((r) => r.stdout + r.stderr).catch(() => '')).match(/Version [\d.]+/)?.[0] ?? '?',
    dnsmasq: await first(['dnsmasq', '--version']),
    weftd_command: process.env.WEFT_LAB_WEFTD ?? 'node bin/weftd',
  };
}

async function main(): Promise<number> {
  const params = paramsFromEnv();
  const lab = await BenchLab.create(log);
  log(`lab ${lab.name}; ${params.smoke ? 'SMOKE sizes' : 'default sizes'}; hosts=${params.hosts} containers=${params.containers}`);
  const figures: Figures = {};
  const ctx: Context = { lab, params, figures, samples: {}, details: {}, notes: [], log };
  const errors: string[] = [];
  const environment: Record<string, unknown> = { ...(await versions()), loadavg_start: os.loadavg(), foreign_weftd_start: foreignWeftds(lab.name) };
  const phaseLoad: Record<string, number[]> = {};
  const phaseForeign: Record<string, number> = {};
  const phaseSeconds: Record<string, number> = {};
  const wanted = (phase: string) => params.only === undefined || phase === 'setup' || params.only.includes(phase);

  let interrupted: string | undefined;
  let removal: Promise<void> | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    log(`${sig}: stopping; removing lab ${lab.name}`);
    // The measurement in progress loses its children and fails; main() then waits for this.
    killAllChildren();
    const removing = lab.remove().catch((err: unknown) => {
      log(`removing the lab: ${String(err)}`);
    });
    removal = removing;
    void removing.then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.on('exit', killAllChildren);

  const phase = async (name: string, fn: () => Promise<void> | void): Promise<boolean> => {
    if (!wanted(name) || interrupted) return false;
    log(`--- ${name}`);
    phaseLoad[name] = os.loadavg();
    const start = nowNs();
    const cpuBefore = snapshot(lab.cfg);
    try {
      await fn();
      return true;
    } catch (err) {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      errors.push(`${name}: ${text.split('\n').slice(0, 6).join('\n')}`);
      log(`${name} FAILED: ${text}`);
      return false;
    } finally {
      phaseSeconds[name] = round(msSince(start) / 1000, 1) ?? 0;
      phaseForeign[name] = round(foreignCores(cpuBefore, snapshot(lab.cfg)), 2) ?? 0;
    }
  };

  try {
    let core: CoreLab | undefined;
    const ready = await phase('setup', async () => {
      core = await setUpCore(ctx);
      await startCoreContainers(ctx, core);
    });
    if (ready && core) {
      const c = core;
      // Unknown names first: nothing has asked host1's dropping upstream anything yet, so its
      // first query shows the full upstream timeout.
      await phase('dns-unknown', () => measureDnsUnknown(ctx, c));
      await phase('throughput', () => measureThroughput(ctx, c));
      await phase('rtt', () => measureRtt(ctx, c));
      await phase('network-create', () => measureNetworkCreate(ctx, c));
      await phase('run', () => measureRunLatency(ctx, c));
      await phase('dns', () => measureDnsPerf(ctx, c));
      for (const store of params.stores) await phase(`convergence-${store}`, () => measureConvergence(ctx, c, store));
      if (figures.convergence_ms_median === undefined && params.stores.includes('etcd')) {
        ctx.notes.push('convergence_ms_median / _p99 (etcd) are absent; first_ping_ms_median is measured on sqlite');
      }
      await phase('rss', () => measureLoadedRss(ctx, c));
      // Last on the core lab: every overlay container host1 started so far is in its log.
      await phase('attach', () => measureAttach(ctx, c));
    }
    await phase('scale', () => measureScale(ctx));
  } finally {
    if (!interrupted) {
      log(`removing lab ${lab.name}`);
      await lab.remove().catch((err: unknown) => errors.push(`cleanup: ${String(err)}`));
    }
  }
  if (interrupted) {
    await removal;
    return 130;
  }

  environment.loadavg_end = os.loadavg();
  environment.foreign_weftd_end = foreignWeftds(lab.name);
  environment.loadavg_by_phase = phaseLoad;
  environment.phase_seconds = phaseSeconds;
  environment.foreign_cpu_cores_by_phase = phaseForeign;
  const rounded: Figures = {};
  for (const [k, v] of Object.entries(figures)) rounded[k] = round(v, 4);
  const samples: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(ctx.samples)) samples[k] = v.map((x) => round(x, 4) ?? NaN);
  const file = writeResults(path.join(repoRoot(), 'bench', 'results'), {
    schema: 1,
    smoke: params.smoke,
    lab: lab.name,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    duration_s: round(msSince(t0) / 1000, 1) ?? 0,
    params: { ...params, only: params.only ?? null },
    environment,
    figures: rounded,
    samples,
    details: ctx.details,
    notes: ctx.notes,
    errors,
  }, params.only !== undefined);

  process.stdout.write(`\nWeft benchmark (${params.smoke ? 'SMOKE' : 'default sizes'}; lab ${lab.name}; ${(msSince(t0) / 1000).toFixed(0)} s)\n\n`);
  process.stdout.write(`${renderTable(rounded, params.smoke)}\n`);
  if (ctx.notes.length > 0) process.stdout.write(`\nNotes:\n${ctx.notes.map((n) => `- ${n}`).join('\n')}\n`);
  if (errors.length > 0) process.stdout.write(`\nErrors:\n${errors.map((e) => `- ${e}`).join('\n')}\n`);
  const load = (environment.loadavg_start as number[]).map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(`\nLoad average at start: ${load}; other labs' weftds running on this box: ${String(environment.foreign_weftd_start)}\n`);
  process.stdout.write(`CPU taken by other work on this box, per phase (cores of ${os.cpus().length}): ${Object.entries(phaseForeign).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  process.stdout.write(`Results: ${path.relative(process.cwd(), file) || file}\n`);
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
