// attach_ms: the data-plane part of joining an overlay network (sandbox ensured, peers
// programmed, the container's veth plugged), timed inside weftd on the real `docker run` path.
// Only weftd can time that: the benchmark reads it from host1's weftd log, as JSON lines (pino)
// that carry a numeric `attachMs` field (and `driver`: only overlay lines count). Every overlay
// container started on host1 during the run contributes (bench/README.md, "Hooks in weftd").
import fs from 'node:fs';
import { machineLog } from '../../src/lab/index.js';
import type { Context, CoreLab } from '../context.js';
import { median, percentile } from '../lib/stats.js';

export function attachTimesFromLog(file: string): number[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"attachMs"')) continue;
    try {
      const rec = JSON.parse(line) as { attachMs?: unknown; driver?: unknown };
      // Overlay attaches only: the gateway bridge a container also joins is another figure.
      if (rec.driver !== undefined && rec.driver !== 'overlay') continue;
      if (typeof rec.attachMs === 'number' && Number.isFinite(rec.attachMs)) out.push(rec.attachMs);
    } catch {
      // not a JSON line
    }
  }
  return out;
}

export function measureAttach(ctx: Context, core: CoreLab): void {
  const times = attachTimesFromLog(machineLog(ctx.lab.cfg, core.host1));
  if (times.length === 0) {
    ctx.notes.push('attach_ms_median is absent: host1\'s weftd log has no "endpoint attached" line with a numeric "attachMs"');
    return;
  }
  ctx.samples.attach_ms = times;
  ctx.figures.attach_ms_median = median(times);
  ctx.figures.attach_ms_p95 = percentile(times, 95);
}
