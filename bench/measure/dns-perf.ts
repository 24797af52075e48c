// Embedded DNS throughput and latency with dnsperf, 20 queries in flight, for names the embedded
// server answers itself (containers on appnet on both hosts, bare and as name.appnet), and the
// same names served by dnsmasq as the reference, in the same run.
//
// Both servers are asked from the same network namespace (the `dnsref` container on host1), so
// the client, the kernel path and the CPU they compete for are the same: weft's resolver at
// 127.0.0.11 (weftd's socket in that namespace) and dnsmasq at 127.0.0.12, started there with
// --no-resolv and a --host-record per name. Runs alternate weft, dnsmasq, weft, dnsmasq…
//
// dnsperf 2.10 prints no percentiles, so it runs with -v (one line per query with its latency)
// into a file, and the p99 comes from those lines; qps and the average are dnsperf's own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeScript, type Context, type CoreLab } from '../context.js';
import { sleep } from '../lib/clock.js';
import { inPidNet } from '../lib/lab.js';
import { Background, run, runOk } from '../lib/proc.js';
import { median, percentile } from '../lib/stats.js';

const DNSMASQ_ADDR = '127.0.0.12';

interface PerfRun {
  readonly qps: number;
  readonly avgMs: number;
  readonly p99Ms: number | null;
  readonly lost: number;
  readonly completed: number;
}

function parseDnsperf(file: string): PerfRun {
  const text = fs.readFileSync(file, 'utf8');
  const num = (re: RegExp) => {
    const m = re.exec(text);
    if (!m) throw new Error(`dnsperf output has no ${re.source}:\n${text.slice(-1500)}`);
    return Number(m[1]);
  };
  const latencies: number[] = [];
  for (const m of text.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)) latencies.push(Number(m[1]) * 1000);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    p99Ms: percentile(latencies, 99),
    lost: num(/Queries lost:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
  };
}

export async function measureDnsPerf(ctx: Context, core: CoreLab): Promise<void> {
  const { lab, params } = ctx;
  const pid = await lab.containerPid(core.host1, 'dnsref');
  const records: [string, string][] = [];
  for (const [host, name] of [[core.host1, 'server'], [core.host1, 'dnsref'], [core.host2, 'client']] as const) {
    const ip = await lab.containerIp(host, name, core.network);
    records.push([name, ip], [`${name}.${core.network}`, ip]);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-dns-'));
  const queries = path.join(dir, 'queries.txt');
  fs.writeFileSync(queries, records.map(([n]) => `${n} A\n`).join(''));

  const dnsmasq = new Background(inPidNet(pid, [
    'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', '--no-poll', '--bind-interfaces',
    `--listen-address=${DNSMASQ_ADDR}`, '--port=53', '--pid-file=', '--log-facility=-',
    ...records.map(([n, ip]) => `--host-record=${n},${ip}`),
  ]));
  try {
    await waitForAnswer(pid, DNSMASQ_ADDR, records[0]![0]);
    await waitForAnswer(pid, '127.0.0.11', records[0]![0]);
    const perf = async (server: string, inFlight: number, seconds: number, tag: string): Promise<PerfRun> => {
      const out = path.join(dir, `${tag}.txt`);
      await runOk(inPidNet(pid, ['dnsperf', '-s', server, '-d', queries, '-q', String(inFlight), '-l', String(seconds), '-v']), {
        stdoutFile: out,
        timeoutMs: (seconds + 30) * 1000,
      });
      return parseDnsperf(out);
    };
    const weft: PerfRun[] = [];
    const ref: PerfRun[] = [];
    for (let i = 0; i < params.dnsperfRepeats; i++) {
      ctx.log(`dnsperf pair ${i + 1}/${params.dnsperfRepeats}: weft, then dnsmasq (${params.dnsperfSeconds} s each, 20 in flight)`);
      weft.push(await perf('127.0.0.11', 20, params.dnsperfSeconds, `weft${i}`));
      ref.push(await perf(DNSMASQ_ADDR, 20, params.dnsperfSeconds, `dnsmasq${i}`));
    }
    // One at a time (DESIGN's other reference figure): dnsperf -q 1 sleeps between queries, so
    // the probe does this one.
    const serial = async (server: string): Promise<PerfRun> => {
      const r = await runOk(inPidNet(pid, [process.execPath, probeScript(), 'serial', '--server', server, '--names', records.map(([n]) => n).join(','), '--seconds', String(Math.max(1, Math.ceil(params.dnsperfSeconds / 2)))]), { timeoutMs: 60_000 });
      const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as PerfRun & { ok: boolean };
      if (!res.ok) throw new Error(`serial DNS probe against ${server} failed`);
      return res;
    };
    const single = await serial('127.0.0.11');
    const singleRef = await serial(DNSMASQ_ADDR);

    ctx.figures.dns_qps = median(weft.map((r) => r.qps));
    ctx.figures.dns_avg_ms = median(weft.map((r) => r.avgMs));
    ctx.figures.dns_p99_ms = median(weft.map((r) => r.p99Ms ?? NaN).filter(Number.isFinite));
    ctx.figures.dns_lost = weft.reduce((a, r) => a + r.lost, 0);
    ctx.figures.dnsmasq_qps = median(ref.map((r) => r.qps));
    ctx.figures.dnsmasq_avg_ms = median(ref.map((r) => r.avgMs));
    ctx.figures.dnsmasq_p99_ms = median(ref.map((r) => r.p99Ms ?? NaN).filter(Number.isFinite));
    // Same netns, same client, alternated: the ratio holds up better than either figure when
    // other work shares the box.
    ctx.figures.dns_qps_vs_dnsmasq = median(weft.map((r, i) => r.qps / ref[i]!.qps));
    ctx.figures.dns_qps_1_in_flight = single.qps;
    ctx.figures.dnsmasq_qps_1_in_flight = singleRef.qps;
    ctx.samples.dns_qps = weft.map((r) => r.qps);
    ctx.samples.dnsmasq_qps = ref.map((r) => r.qps);
    ctx.details.dnsperf = { names: records.map(([n]) => n), weft, dnsmasq: ref, weft_1_in_flight: single, dnsmasq_1_in_flight: singleRef };
  } finally {
    await dnsmasq.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForAnswer(pid: number, server: string, name: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await run(inPidNet(pid, ['dig', '+tries=1', '+time=1', '+short', `@${server}`, '-q', name, '-t', 'A']), { timeoutMs: 5000 });
    if (r.code === 0 && /^\d+\.\d+\.\d+\.\d+$/m.test(r.stdout)) return;
    await sleep(100);
  }
  throw new Error(`no A answer for ${name} from ${server}`);
}
