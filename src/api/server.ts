// The Docker Engine API server: version negotiation, routing, and the one error boundary.
// Adding a route is one line in the route module of its resource (see routes/networks.ts);
// a new resource adds one line to `apiRoutes`. Hijacked streams (attach, exec start) are routes
// with an `upgrade` handler, dispatched from the server's 'upgrade' event below.

import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { notFound } from '../errors.js';
import type { ApiBackend } from './backend.js';
import { errorResponse, sendError, statusOf } from './errors.js';
import { containerRoutes } from './routes/containers.js';
import { execRoutes } from './routes/exec.js';
import { imageRoutes } from './routes/images.js';
import { networkRoutes } from './routes/networks.js';
import { systemRoutes } from './routes/system.js';
import { Router, type Match, type Route } from './router.js';
import { API_VERSION, SERVER_HEADER, checkVersion, splitVersion } from './version.js';

/** The subset of pino's Logger the server uses. */
export interface ApiLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ApiServerOptions {
  readonly logger: ApiLogger;
}

/** Every route the API serves. */
export function apiRoutes(backend: ApiBackend): Route[] {
  return [
    ...systemRoutes(backend.system),
    ...networkRoutes(backend.networks),
    ...(backend.containers ? [...containerRoutes(backend.containers), ...execRoutes(backend.containers)] : []),
    ...(backend.images ? imageRoutes(backend.images) : []),
  ];
}

/** moby sets these on every response, errors included. */
const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'Api-Version': API_VERSION,
  Ostype: 'linux',
  Server: SERVER_HEADER,
};

interface Target {
  readonly match: Match;
  readonly query: URLSearchParams;
  readonly apiVersion: string;
}

/** Resolve a request line to a route; throws the 404/400 the client should get. */
function resolve(router: Router, method: string, url: string): Target {
  const q = url.indexOf('?');
  const { version, path } = splitVersion(q < 0 ? url : url.slice(0, q));
  const match = router.match(method, path);
  if (!match) throw notFound('page not found');
  checkVersion(version);
  return { match, query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), apiVersion: version };
}

export function createApiServer(backend: ApiBackend, opts: ApiServerOptions): http.Server {
  const router = new Router(apiRoutes(backend));
  const { logger } = opts;

  const logFailure = (req: IncomingMessage, err: unknown) => {
    const status = statusOf(err);
    if (status >= 500) logger.error({ err, method: req.method, url: req.url, status }, 'API request failed');
    else logger.debug({ method: req.method, url: req.url, status, message: (err as Error)?.message }, 'API request refused');
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    for (const [name, value] of Object.entries(COMMON_HEADERS)) res.setHeader(name, value);
    res.once('finish', () => logger.debug({ method: req.method, url: req.url, status: res.statusCode }, 'API request'));
    try {
      const { match, query, apiVersion } = resolve(router, req.method ?? 'GET', req.url ?? '/');
      await match.route.handle({ req, res, params: match.params, query, apiVersion });
    } catch (err) {
      logFailure(req, err);
      sendError(res, err);
    }
  };

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      const { match, query, apiVersion } = resolve(router, req.method ?? 'GET', req.url ?? '/');
      const upgrade = match.route.upgrade;
      if (!upgrade) throw notFound('page not found');
      await upgrade({ req, socket, head, params: match.params, query, apiVersion });
    } catch (err) {
      logFailure(req, err);
      writeSocketError(socket, err);
    }
  };

  const server = http.createServer((req, res) => void onRequest(req, res));
  // Large chunked imports and long attach/wait requests must not be cut off.
  server.requestTimeout = 0;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(req, socket, head));
  server.on('clientError', (err: Error, socket: Duplex) => {
    logger.debug({ err }, 'malformed HTTP request');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/** An error answer on a connection that left Node's HTTP machinery ('upgrade'). */
function writeSocketError(socket: Duplex, err: unknown): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status, body } = errorResponse(err);
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    ...Object.entries(COMMON_HEADERS).map(([k, v]) => `${k}: ${v}`),
    ...(body ? ['Content-Type: application/json'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.end(headers.join('\r\n') + '\r\n\r\n' + body);
}
