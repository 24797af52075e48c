// Exec routes (docker-api.md §3 exec, §4.3): create, start (detached: a plain 200; attached: a
// hijack whose JSON body follows the headers on the socket that then carries stdin), resize and
// inspect. The exit code is recorded before the stream ends, since the CLI inspects right after.
// A Tty exec's terminal starts with the ConsoleSize of create or start.

import { invalid } from '../../errors.js';
import type { ContainersBackend } from '../backend.js';
import { decodeJson } from '../json.js';
import { readJson, sendEmpty, sendJson } from '../http.js';
import { route, type Route, type UpgradeContext } from '../router.js';
import { parseExecCreate, parseExecStart } from '../schemas/container.js';
import {
  RAW_STREAM, consoleSize, encodeChunk, pumpSession, readHijackedBody, resizeQuery, writeUpgraded, writeWithBackpressure,
} from '../streams.js';
import { execToDocker } from '../views/exec.js';

export function execRoutes(containers: ContainersBackend): Route[] {
  // The ConsoleSize of exec create and start: a resize before start is the size the terminal
  // starts with (so the program sees it from its first instruction).
  const initialSize = async (id: string, tty: boolean, body: unknown) => {
    const size = tty ? consoleSize((body as { ConsoleSize?: unknown } | null | undefined)?.ConsoleSize) : undefined;
    if (size) await containers.resizeExec(id, size.rows, size.cols);
  };

  const startUpgrade = async ({ req, socket, head, params }: UpgradeContext) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (!Number.isInteger(length) || length < 0) throw invalid('invalid Content-Length');
    const { body, rest } = await readHijackedBody(socket, head, length);
    const raw = body.length === 0 ? undefined : decodeJson(body.toString('utf8'));
    const start = parseExecStart(raw);
    await initialSize(params.id!, start.tty, raw);
    const started = await containers.startExec(params.id!, { detach: start.detach });
    if (!started) {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    // moby frames by the start request's Tty (API ≥ 1.42), which the CLI copies from the exec's.
    const tty = start.tty || started.tty;
    writeUpgraded(socket, tty);
    await pumpSession(socket, started.session, tty, rest).catch(() => socket.destroy());
  };

  return [
    route('POST', '/containers/{id}/exec', async ({ req, res, params }) => {
      const body = await readJson(req);
      const request = parseExecCreate(body);
      const created = await containers.createExec(params.id!, request);
      await initialSize(created.id, request.tty, body);
      sendJson(res, 201, { Id: created.id });
    }),
    route(
      'POST',
      '/exec/{id}/start',
      async ({ req, res, params }) => {
        const raw = await readJson(req);
        const start = parseExecStart(raw);
        await initialSize(params.id!, start.tty, raw);
        const started = await containers.startExec(params.id!, { detach: start.detach });
        if (!started) {
          sendEmpty(res, 200);
          return;
        }
        // Attached without Upgrade: moby answers a raw stream in the response body.
        const tty = start.tty || started.tty;
        res.once('close', () => started.session.detach());
        res.writeHead(200, { 'Content-Type': RAW_STREAM });
        res.flushHeaders();
        for await (const chunk of started.session.output) {
          if (!(await writeWithBackpressure(res, encodeChunk(chunk, tty)))) return;
        }
        res.end();
      },
      startUpgrade,
    ),
    route('POST', '/exec/{id}/resize', async ({ res, params, query }) => {
      const size = resizeQuery(query);
      await containers.resizeExec(params.id!, size.rows, size.cols);
      sendEmpty(res, 200);
    }),
    route('GET', '/exec/{id}/json', async ({ res, params }) => {
      sendJson(res, 200, execToDocker(await containers.inspectExec(params.id!)));
    }),
  ];
}
