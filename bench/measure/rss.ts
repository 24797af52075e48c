// weftd's resident memory (VmRSS in /proc/<pid>/status), idle and with many containers on its
// host. A single read catches whatever the garbage collector last left, so a figure is the
// median of a few reads a moment apart.
import fs from 'node:fs';
import type { Context, CoreLab } from '../context.js';
import { sleep } from '../lib/clock.js';
import { median } from '../lib/stats.js';
import { runParallel } from './util.js';

export function readRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) / 1024;
}

export async function sampleRssMb(pid: number, reads: number, everyMs: number): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < reads; i++) {
    if (i > 0) await sleep(everyMs);
    values.push(readRssMb(pid));
  }
  return median(values)!;
}

/** Fill host1 up to `rssContainers` running containers on appnet, read weftd's RSS, remove them. */
export async function measureLoadedRss(ctx: Context, core: CoreLab): Promise<void> {
  const { lab, params } = ctx;
  const host = core.host1;
  const running = (await lab.dockerOk(host, ['ps', '-q'])).split('\n').filter(Boolean).length;
  const want = params.rssContainers;
  const toStart = Math.max(0, want - running);
  ctx.log(`starting ${toStart} containers on ${host} (it runs ${running}) for ${want} in all`);
  const ids: string[] = [];
  // Set-up, not a timing: a few at a time so it does not take all day on two cores.
  await runParallel(toStart, 3, async (i) => {
    const id = (await lab.dockerOk(host, ['run', '-d', '--name', `rss${i}`, '--net', core.network, 'busybox', 'sleep', '100000'])).trim();
    ids.push(id);
  });
  const count = (await lab.dockerOk(host, ['ps', '-q'])).split('\n').filter(Boolean).length;
  await sleep(2000); // let the burst's garbage be collected, as an idle daemon would
  const pid = await lab.weftdPid(host);
  const mb = await sampleRssMb(pid, 5, 500);
  ctx.figures.weftd_rss_mb_loaded = mb;
  ctx.figures.weftd_rss_loaded_containers = count;
  if (count === 100) ctx.figures.weftd_rss_mb_100_containers = mb;
  else ctx.notes.push(`weftd RSS was read with ${count} containers on its host, not 100 (SMOKE sizes); weftd_rss_mb_100_containers is absent`);
  ctx.details.weftd_status_loaded = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').filter((l) => /^(VmRSS|VmHWM|RssAnon|RssFile|Threads)/.test(l));
  ctx.log(`removing the ${ids.length} extra containers`);
  await runParallel(Math.ceil(ids.length / 20), 2, async (i) => {
    await lab.dockerOk(host, ['rm', '-f', ...ids.slice(i * 20, i * 20 + 20)], { timeoutMs: 120_000 });
  });
}
