// `docker network create -d overlay <name>` through the real CLI, end to end. The networks are
// removed afterwards, untimed.
import type { Context, CoreLab } from '../context.js';
import { median, percentile } from '../lib/stats.js';

export async function measureNetworkCreate(ctx: Context, core: CoreLab): Promise<void> {
  const { lab, params } = ctx;
  const times: number[] = [];
  const names: string[] = [];
  try {
    for (let i = 0; i < params.netCreateSamples; i++) {
      const name = `benchnet${i}`;
      const r = await lab.docker(core.host1, ['network', 'create', '-d', 'overlay', name]);
      if (r.code !== 0) throw new Error(`docker network create exited ${r.code}: ${r.stderr.trim()}`);
      names.push(name);
      times.push(r.ms);
    }
  } finally {
    for (const n of names) await lab.dockerOk(core.host1, ['network', 'rm', n]);
  }
  ctx.samples.network_create_ms = times;
  ctx.figures.network_create_ms_median = median(times);
  ctx.figures.network_create_ms_p95 = percentile(times, 95);
}
