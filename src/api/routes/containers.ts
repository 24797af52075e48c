// /containers routes: validate the request, call the backend, render moby's JSON or stream.
// The streaming ones follow docker-api.md §4: wait flushes its headers before the result exists
// (the CLI sends /start only after it has them), attach is a hijack answered 101, logs are framed
// like attach unless the container has a TTY.

import type { ServerResponse } from 'node:http';
import { invalid } from '../../errors.js';
import { parseApiTimestamp } from '../../runtime/timestamps.js';
import type { ContainersBackend, LogsOptions } from '../backend.js';
import { filterContainers } from '../container-filters.js';
import { parseFilters } from '../filters.js';
import { boolQuery, intQuery, readJson, sendEmpty, sendJson } from '../http.js';
import { route, type Route, type UpgradeContext } from '../router.js';
import { parseContainerCreate, parseWaitCondition } from '../schemas/container.js';
import {
  MULTIPLEXED_STREAM, RAW_STREAM, consoleSize, encodeChunk, pumpSession, resizeQuery, writeUpgraded, writeWithBackpressure,
} from '../streams.js';
import { containerSummary, containerToDocker } from '../views/container.js';

/** An AbortSignal that fires when the client goes away before the response is complete. */
function clientGone(res: ServerResponse): AbortSignal {
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  return abort.signal;
}

function hostConfigOf(body: unknown): Record<string, unknown> {
  const h = (body as { HostConfig?: unknown } | null | undefined)?.HostConfig;
  return h !== null && typeof h === 'object' ? (h as Record<string, unknown>) : {};
}

function timestampQuery(query: URLSearchParams, name: string): bigint | undefined {
  const v = query.get(name);
  if (v === null || v === '' || v === '0') return undefined;
  try {
    return parseApiTimestamp(v);
  } catch {
    throw invalid(`invalid value for ${name}: ${v}`);
  }
}

/** `tail`: `all` (or anything not a number, as moby's strconv.Atoi fallback) is everything. */
function tailQuery(query: URLSearchParams): number | 'all' {
  const v = query.get('tail') ?? 'all';
  return /^\d+$/.test(v) ? Number(v) : 'all';
}

function stopOptions(query: URLSearchParams): { timeoutSeconds?: number; signal?: string } {
  const t = intQuery(query, 't');
  const signal = query.get('signal');
  return { ...(t !== undefined ? { timeoutSeconds: t } : {}), ...(signal ? { signal } : {}) };
}

export function containerRoutes(containers: ContainersBackend): Route[] {
  const attachUpgrade = async ({ socket, head, params, query }: UpgradeContext) => {
    const { tty, session } = await containers.attach(params.id!, {
      stdin: boolQuery(query, 'stdin'),
      stdout: boolQuery(query, 'stdout'),
      stderr: boolQuery(query, 'stderr'),
    });
    writeUpgraded(socket, tty);
    if (!boolQuery(query, 'stream')) {
      // Only `logs` was asked for, which Weft does not replay on attach: nothing to stream.
      session.detach();
      socket.end();
      return;
    }
    await pumpSession(socket, session, tty, head).catch(() => socket.destroy());
  };

  return [
    route('POST', '/containers/create', async ({ req, res, query }) => {
      const body = await readJson(req);
      const config = parseContainerCreate(body, query.get('name'));
      const size = config.tty ? consoleSize(hostConfigOf(body).ConsoleSize) : undefined;
      const created = await containers.create(size ? { ...config, consoleSize: size } : config);
      sendJson(res, 201, { Id: created.id, Warnings: [...created.warnings] });
    }),
    route('GET', '/containers/json', async ({ res, query }) => {
      const limit = intQuery(query, 'limit');
      const views = await containers.list({ all: true });
      const shown = filterContainers(views, {
        all: boolQuery(query, 'all'),
        ...(limit !== undefined ? { limit } : {}),
        filters: parseFilters(query.get('filters')),
      });
      const now = Date.now();
      sendJson(res, 200, shown.map((v) => containerSummary(v, now, boolQuery(query, 'size'))));
    }),
    route('GET', '/containers/{id}/json', async ({ res, params }) => {
      sendJson(res, 200, containerToDocker(await containers.inspect(params.id!)));
    }),
    route('POST', '/containers/{id}/start', async ({ res, params }) => {
      await containers.start(params.id!);
      sendEmpty(res, 204);
    }),
    route('POST', '/containers/{id}/stop', async ({ res, params, query }) => {
      await containers.stop(params.id!, stopOptions(query));
      sendEmpty(res, 204);
    }),
    route('POST', '/containers/{id}/restart', async ({ res, params, query }) => {
      await containers.restart(params.id!, stopOptions(query));
      sendEmpty(res, 204);
    }),
    route('POST', '/containers/{id}/kill', async ({ res, params, query }) => {
      await containers.kill(params.id!, query.get('signal') || undefined);
      sendEmpty(res, 204);
    }),
    route('DELETE', '/containers/{id}', async ({ res, params, query }) => {
      if (boolQuery(query, 'link')) throw invalid('legacy links are not supported by Weft');
      await containers.remove(params.id!, { force: boolQuery(query, 'force') });
      sendEmpty(res, 204);
    }),
    route('POST', '/containers/{id}/resize', async ({ res, params, query }) => {
      const size = resizeQuery(query);
      await containers.resize(params.id!, size.rows, size.cols);
      sendEmpty(res, 200);
    }),
    route('POST', '/containers/{id}/wait', async ({ res, params, query }) => {
      const condition = parseWaitCondition(query.get('condition'));
      const { result } = await containers.wait(params.id!, condition, clientGone(res));
      // Headers now, result later: `docker run` sends /start only once it has them (trace 41).
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      let status;
      try {
        status = await result;
      } catch {
        return; // the client went away
      }
      res.end(JSON.stringify(status) + '\n');
    }),
    route('GET', '/containers/{id}/logs', async ({ res, params, query }) => {
      const stdout = boolQuery(query, 'stdout');
      const stderr = boolQuery(query, 'stderr');
      if (!stdout && !stderr) throw invalid('Bad parameters: you must choose at least one stream');
      const timestamps = boolQuery(query, 'timestamps');
      const since = timestampQuery(query, 'since');
      const until = timestampQuery(query, 'until');
      const opts: LogsOptions = {
        follow: boolQuery(query, 'follow'),
        tail: tailQuery(query),
        stdout,
        stderr,
        signal: clientGone(res),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
      };
      const { tty, entries } = await containers.logs(params.id!, opts);
      res.writeHead(200, { 'Content-Type': tty ? RAW_STREAM : MULTIPLEXED_STREAM });
      res.flushHeaders();
      for await (const entry of entries) {
        const data = timestamps ? Buffer.concat([Buffer.from(`${entry.time} `), entry.data]) : entry.data;
        if (!(await writeWithBackpressure(res, encodeChunk({ stream: entry.stream, data }, tty)))) return;
      }
      res.end();
    }),
    route(
      'POST',
      '/containers/{id}/attach',
      // Without Upgrade (old clients): output only, as an ordinary streamed response.
      async ({ res, params, query }) => {
        const { tty, session } = await containers.attach(params.id!, {
          stdin: false,
          stdout: boolQuery(query, 'stdout'),
          stderr: boolQuery(query, 'stderr'),
        });
        res.once('close', () => session.detach());
        res.writeHead(200, { 'Content-Type': tty ? RAW_STREAM : MULTIPLEXED_STREAM });
        res.flushHeaders();
        for await (const chunk of session.output) {
          if (!(await writeWithBackpressure(res, encodeChunk(chunk, tty)))) return;
        }
        res.end();
      },
      attachUpgrade,
    ),
  ];
}
