// `docker run -d --net appnet busybox sleep 1000` through the real CLI, end to end: from just
// before the CLI is spawned until it exits (CLI start-up, _ping, create, wait, start). The
// containers are removed afterwards, untimed.
//
// Where the time goes, without instrumenting weftd: the same create and start through the
// Engine API directly (no CLI), and the CLI's own floor (`docker version`: a Go binary starting,
// one request).
import http from 'node:http';
import { socketPath } from '../../src/lab/index.js';
import type { Context, CoreLab } from '../context.js';
import { msSince, nowNs } from '../lib/clock.js';
import { median, percentile } from '../lib/stats.js';

export async function measureRunLatency(ctx: Context, core: CoreLab): Promise<void> {
  const { lab, params } = ctx;
  const host = core.host1;
  const times: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < params.runSamples; i++) {
    const r = await lab.docker(host, ['run', '-d', '--net', core.network, 'busybox', 'sleep', '1000']);
    if (r.code !== 0) throw new Error(`docker run exited ${r.code}: ${r.stderr.trim()}`);
    times.push(r.ms);
    ids.push(r.stdout.trim());
  }
  ctx.samples.run_ms = times;
  ctx.figures.run_ms_median = median(times);
  ctx.figures.run_ms_p95 = percentile(times, 95);
  await lab.dockerOk(host, ['rm', '-f', ...ids], { timeoutMs: 120_000 });

  const floor: number[] = [];
  for (let i = 0; i < params.apiSamples; i++) floor.push((await lab.docker(host, ['version', '--format', '{{.Server.Version}}'])).ms);
  ctx.samples.cli_floor_ms = floor;
  ctx.figures.cli_floor_ms_median = median(floor);

  const socket = socketPath(lab.cfg, host);
  const create: number[] = [];
  const start: number[] = [];
  const apiIds: string[] = [];
  for (let i = 0; i < params.apiSamples; i++) {
    const t0 = nowNs();
    const created = await api(socket, 'POST', '/v1.50/containers/create', {
      Image: 'busybox',
      Cmd: ['sleep', '1000'],
      HostConfig: { NetworkMode: core.network },
      NetworkingConfig: { EndpointsConfig: { [core.network]: {} } },
    });
    create.push(msSince(t0));
    if (created.status !== 201) throw new Error(`API create: ${created.status} ${created.body}`);
    const id = (JSON.parse(created.body) as { Id: string }).Id;
    apiIds.push(id);
    const t1 = nowNs();
    const started = await api(socket, 'POST', `/v1.50/containers/${id}/start`);
    start.push(msSince(t1));
    if (started.status !== 204) throw new Error(`API start: ${started.status} ${started.body}`);
  }
  ctx.samples.run_api_create_ms = create;
  ctx.samples.run_api_start_ms = start;
  ctx.figures.run_api_create_ms_median = median(create);
  ctx.figures.run_api_start_ms_median = median(start);
  if (apiIds.length > 0) await lab.dockerOk(host, ['rm', '-f', ...apiIds], { timeoutMs: 120_000 });
}

function api(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { socketPath, method, path, headers: { Host: 'api.moby.localhost', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
    req.on('error', reject);
    req.end(data);
  });
}
