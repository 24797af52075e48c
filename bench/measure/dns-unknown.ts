// How fast the embedded DNS answers a name it does not know when its upstream fails.
//
//   port closed (host2, dns=198.18.0.1): every query is forwarded and fails; the figure is the
//     median over all queries.
//   black hole (host1, dns=198.18.0.254, packets dropped): the first query may wait out the
//     upstream timeout; while the upstream is then marked down the later ones must be fast.
//     The figure is the median of the later queries; the first is reported on its own.
//
// Each query asks for a fresh random name, so no cache can answer it; they are sent one at a
// time by the probe, inside the container's namespace, and timed there.
import type { Context, CoreLab } from '../context.js';
import { timingProbe } from '../context.js';
import { inPidNet } from '../lib/lab.js';
import { runOk } from '../lib/proc.js';
import { median } from '../lib/stats.js';
import { parseProbe } from './util.js';

interface UnknownResult {
  ok: boolean;
  why?: string;
  results: { ms: number | null; rcode: number | null }[];
}

async function probeUnknown(pid: number, count: number): Promise<UnknownResult['results']> {
  const r = await runOk(inPidNet(pid, timingProbe('unknown', ['--count', String(count), '--timeout-ms', '5000'])), {
    timeoutMs: count * 6000 + 10_000,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const res = parseProbe<UnknownResult>(last, 'unknown-name probe');
  if (!res.ok) throw new Error(`unknown-name probe: ${res.why}`);
  return res.results;
}

const RCODES: Record<number, string> = { 0: 'NOERROR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 5: 'REFUSED' };

function describe(results: UnknownResult['results']): string[] {
  return results.map((r) => (r.ms === null ? 'no reply' : `${r.ms.toFixed(2)} ms ${RCODES[r.rcode ?? -1] ?? r.rcode}`));
}

export async function measureDnsUnknown(ctx: Context, core: CoreLab): Promise<void> {
  const { lab, params } = ctx;
  const closed = await probeUnknown(await lab.containerPid(core.host2, 'client'), params.unknownQueries);
  const blackhole = await probeUnknown(await lab.containerPid(core.host1, 'server'), params.unknownQueries);
  // An unanswered query counts as its full wait: it must not vanish from the median.
  const ms = (r: { ms: number | null }) => r.ms ?? 5000;
  ctx.figures.dns_unknown_ms = median(closed.map(ms));
  ctx.figures.dns_unknown_blackhole_first_ms = blackhole[0] ? ms(blackhole[0]) : null;
  ctx.figures.dns_unknown_blackhole_ms = median(blackhole.slice(1).map(ms));
  ctx.figures.dns_unknown_unanswered = [...closed, ...blackhole].filter((r) => r.ms === null).length;
  ctx.samples.dns_unknown_ms = closed.map(ms);
  ctx.samples.dns_unknown_blackhole_ms = blackhole.map(ms);
  ctx.details.dns_unknown = { upstream_closed: describe(closed), upstream_blackhole: describe(blackhole) };
}
