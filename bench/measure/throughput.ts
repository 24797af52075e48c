// One TCP stream, iperf3, overlay vs underlay, alternated in the same run.
//
//   overlay:  server (host1) ← client (host2), container to container over VXLAN: iperf3 runs in
//             each container's network namespace (nsenter -n -t <State.Pid>) with the host's
//             /usr/bin/iperf3, since busybox has none.
//   underlay: host1's namespace ← host2's namespace over the lab LAN (eth1 ↔ LAN bridge ↔ eth1),
//             the very path and devices the VXLAN packets ride. Nothing is tuned on either side.
//
// The ratio is median(overlay) / median(underlay) of the alternated pairs; each pair's own
// ratio is kept in the details too.
import type { Context, CoreLab } from '../context.js';
import { inPidNet } from '../lib/lab.js';
import { Background, runOk } from '../lib/proc.js';
import { median } from '../lib/stats.js';

interface IperfRun {
  readonly gbps: number;
  readonly retransmits: number | null;
  readonly cpuLocal: number | null;
  readonly cpuRemote: number | null;
}

interface IperfJson {
  end?: {
    sum_received?: { bits_per_second?: number };
    sum_sent?: { retransmits?: number };
    cpu_utilization_percent?: { host_total?: number; remote_total?: number };
  };
  error?: string;
}

const PORT = '5201';

async function iperfOnce(server: (argv: string[]) => string[], client: (argv: string[]) => string[], address: string, seconds: number): Promise<IperfRun> {
  // --forceflush: iperf3 buffers its output on a pipe, and "Server listening" is the ready signal.
  const srv = new Background(server(['iperf3', '-s', '-1', '--forceflush', '-B', address, '-p', PORT]));
  try {
    await srv.waitForLine((l) => l.includes('Server listening'), 10_000, 'iperf3 server');
    // -O 1: leave out the first second (slow start), the same way on both paths.
    const r = await runOk(client(['iperf3', '-c', address, '-p', PORT, '-t', String(seconds), '-O', '1', '-J']), { timeoutMs: (seconds + 30) * 1000 });
    const j = JSON.parse(r.stdout) as IperfJson;
    const bps = j.end?.sum_received?.bits_per_second;
    if (j.error || bps === undefined) throw new Error(`iperf3: ${j.error ?? 'no result'}`);
    return {
      gbps: bps / 1e9,
      retransmits: j.end?.sum_sent?.retransmits ?? null,
      cpuLocal: j.end?.cpu_utilization_percent?.host_total ?? null,
      cpuRemote: j.end?.cpu_utilization_percent?.remote_total ?? null,
    };
  } finally {
    await srv.wait(5000);
  }
}

export async function measureThroughput(ctx: Context, core: CoreLab): Promise<void> {
  const { lab, params } = ctx;
  const srvPid = await lab.containerPid(core.host1, 'server');
  const cliPid = await lab.containerPid(core.host2, 'client');
  const srvIp = await lab.containerIp(core.host1, 'server', core.network);
  const host1Ip = (await lab.inspect(core.host1)).ip;
  const overlay: IperfRun[] = [];
  const underlay: IperfRun[] = [];
  for (let i = 0; i < params.iperfRepeats; i++) {
    ctx.log(`iperf3 pair ${i + 1}/${params.iperfRepeats}: ${params.iperfSeconds} s overlay, then ${params.iperfSeconds} s underlay`);
    overlay.push(await iperfOnce((a) => inPidNet(srvPid, a), (a) => inPidNet(cliPid, a), srvIp, params.iperfSeconds));
    underlay.push(await iperfOnce((a) => lab.inHostNet(core.host1, a), (a) => lab.inHostNet(core.host2, a), host1Ip, params.iperfSeconds));
  }
  const o = median(overlay.map((r) => r.gbps))!;
  const u = median(underlay.map((r) => r.gbps))!;
  ctx.figures.overlay_gbps = o;
  ctx.figures.underlay_gbps = u;
  ctx.figures.overlay_underlay_throughput_ratio = o / u;
  ctx.samples.overlay_gbps = overlay.map((r) => r.gbps);
  ctx.samples.underlay_gbps = underlay.map((r) => r.gbps);
  ctx.samples.throughput_ratio_per_pair = overlay.map((r, i) => r.gbps / underlay[i]!.gbps);
  ctx.details.iperf3 = { overlay, underlay, devices: await deviceSettings(ctx, core, cliPid) };
}

/** MTUs and offloads of the devices on both paths, for the record (read only, never changed). */
async function deviceSettings(ctx: Context, core: CoreLab, cliPid: number): Promise<Record<string, string>> {
  const { lab } = ctx;
  const brief = async (argv: string[]) => (await runOk(argv)).stdout.trim();
  const sandbox = lab.weftdNetnsNames(core.host2, 'sb-')[0];
  return {
    host2_eth1: await brief(lab.inHostNet(core.host2, ['ip', '-d', '-o', 'link', 'show', 'eth1'])),
    cli_eth0: await brief(inPidNet(cliPid, ['ip', '-o', 'link', 'show', 'eth0'])),
    host2_vxlan0: sandbox ? await brief(['ip', '-n', sandbox, '-d', '-o', 'link', 'show', 'vxlan0']) : 'no sandbox',
  };
}
