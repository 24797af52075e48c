// Ping round trip, overlay (client on host2 → server on host1) vs underlay (host2 → host1 on the lab
// LAN), alternated in one run. A few pings first fill the neighbour caches, so the figure is
// the steady state; it is the median of the per-packet times ping prints.
import type { Context, CoreLab } from '../context.js';
import { inPidNet } from '../lib/lab.js';
import { runOk } from '../lib/proc.js';
import { median } from '../lib/stats.js';

async function pingTimes(argv: (a: string[]) => string[], target: string, count: number): Promise<number[]> {
  await runOk(argv(['ping', '-n', '-q', '-c', '3', '-i', '0.05', '-W', '2', target]));
  const r = await runOk(argv(['ping', '-n', '-c', String(count), '-i', '0.05', '-W', '2', target]), { timeoutMs: 60_000 });
  const times = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  if (times.length < count) throw new Error(`ping ${target}: ${count - times.length} of ${count} lost`);
  return times;
}

export async function measureRtt(ctx: Context, core: CoreLab): Promise<void> {
  const { lab, params } = ctx;
  const cliPid = await lab.containerPid(core.host2, 'client');
  const srvIp = await lab.containerIp(core.host1, 'server', core.network);
  const host1Ip = (await lab.inspect(core.host1)).ip;
  const overlay: number[] = [];
  const underlay: number[] = [];
  // Two halves each, alternated, so a burst of load elsewhere does not land on one side only.
  const half = Math.ceil(params.pingCount / 2);
  for (let i = 0; i < 2; i++) {
    overlay.push(...(await pingTimes((a) => inPidNet(cliPid, a), srvIp, half)));
    underlay.push(...(await pingTimes((a) => lab.inHostNet(core.host2, a), host1Ip, half)));
  }
  ctx.figures.overlay_rtt_ms = median(overlay);
  ctx.figures.underlay_rtt_ms = median(underlay);
  ctx.samples.overlay_rtt_ms = overlay;
  ctx.samples.underlay_rtt_ms = underlay;
}
