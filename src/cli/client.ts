// A tiny Docker Engine API client for the `weft` CLI: node:http over the daemon's unix socket
// (or TCP), JSON in and out, and the daemon's `{"message": …}` errors as typed DaemonErrors.

import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Where `weft` looks for weftd when neither -H nor DOCKER_HOST says. */
export const DEFAULT_HOST = 'unix:///run/weft/weftd.sock';

export type DaemonAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** Parse a Docker-style host: `unix:///path`, `tcp://host:port` or `host:port`. */
export function parseHost(host: string): DaemonAddress {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (path === '') throw new Error(`invalid host ${host}: missing socket path`);
    return { kind: 'unix', path };
  }
  const rest = host.startsWith('tcp://') ? host.slice('tcp://'.length) : host;
  const m = /^(\[[^\]]+\]|[^:/]+)?(?::(\d+))?\/?$/.exec(rest);
  if (!m || (m[1] === undefined && m[2] === undefined)) throw new Error(`invalid host ${host}`);
  return { kind: 'tcp', host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port: Number(m[2] ?? 2375) };
}

/** -H wins, then DOCKER_HOST, then weftd's default socket. */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.DOCKER_HOST || DEFAULT_HOST;
}

/** The daemon answered with an error status. `message` is the daemon's own text. */
export class DaemonError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'DaemonError';
  }
}

/** The daemon could not be reached at all. */
export class ConnectionError extends Error {
  constructor(readonly host: string, options?: { cause?: unknown }) {
    super(`Cannot connect to the Weft daemon at ${host}. Is weftd running?`, options);
    this.name = 'ConnectionError';
  }
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface RequestOptions {
  /** Undefined values are left out; a list repeats the parameter (`changes=…&changes=…`). */
  readonly query?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Sent as JSON. */
  readonly body?: unknown;
}

export interface StreamOptions extends RequestOptions {
  /** Streamed as the body (chunked), instead of `body`. */
  readonly upload?: Readable;
}

/** The Docker client's wording for error replies without a usable message. */
function errorText(res: ApiResponse, url: string): string {
  const statusText = http.STATUS_CODES[res.status] ?? String(res.status);
  if (res.body.length === 0) {
    return `request returned ${statusText} for API route and version ${url}, check if the server supports the requested API version`;
  }
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message !== '') return parsed.message;
    return `API returned a ${res.status} (${statusText}) but provided no error-message`;
  } catch {
    return res.body.toString('utf8').trim();
  }
}

export class DockerClient {
  readonly address: DaemonAddress;
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(readonly host: string) {
    this.address = parseHost(host);
  }

  private newRequest(method: string, path: string, opts: StreamOptions, extra: { agent?: http.Agent | false; headers?: Record<string, string> } = {}): { req: ClientRequest; payload?: string; failed: Promise<never> } {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined) continue;
      for (const item of typeof v === 'string' ? [v] : v) search.append(k, item);
    }
    const fullPath = search.size > 0 ? `${path}?${search}` : path;
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const target = this.address.kind === 'unix' ? { socketPath: this.address.path } : { host: this.address.host, port: this.address.port };
    const req = http.request({
      ...target,
      agent: extra.agent ?? this.agent,
      method,
      path: fullPath,
      headers: {
        Host: 'api.moby.localhost',
        'User-Agent': 'weft',
        ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
        ...(opts.upload ? { 'Content-Type': 'text/plain' } : {}),
        ...extra.headers,
      },
    });
    const failed = new Promise<never>((_resolve, reject) => {
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTFOUND'].includes(err.code ?? '')) reject(new ConnectionError(this.host, { cause: err }));
        else reject(err);
      });
    });
    failed.catch(() => {});
    return { req, ...(payload !== undefined ? { payload } : {}), failed };
  }

  /** Any status; rejects only if the daemon cannot be reached. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const { req, payload, failed } = this.newRequest(method, path, opts);
    const done = new Promise<ApiResponse>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
    });
    req.end(payload);
    return Promise.race([done, failed]);
  }

  /**
   * A response whose body is still streaming (wait, logs, import): resolves once the headers
   * are in. A status ≥ 400 is read whole and becomes a DaemonError.
   */
  async open(method: string, path: string, opts: StreamOptions = {}): Promise<IncomingMessage> {
    const { req, payload, failed } = this.newRequest(method, path, opts);
    const response = new Promise<IncomingMessage>((resolve) => req.on('response', resolve));
    if (opts.upload) pipeline(opts.upload, req).catch((err: unknown) => req.destroy(err instanceof Error ? err : undefined));
    else req.end(payload);
    const res = await Promise.race([response, failed]);
    if ((res.statusCode ?? 0) >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw new DaemonError(res.statusCode ?? 0, errorText({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }, `http://api.moby.localhost${path}`));
    }
    return res;
  }

  /**
   * A hijacked connection (attach): the daemon answers 101 and the socket then carries the
   * process's output one way and stdin the other. Errors before the upgrade are DaemonErrors.
   */
  async hijack(method: string, path: string, opts: RequestOptions = {}): Promise<{ socket: Duplex; head: Buffer }> {
    const { req, payload, failed } = this.newRequest(method, path, opts, {
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'tcp', ...(opts.body === undefined ? { 'Content-Type': 'text/plain' } : {}) },
    });
    const upgraded = new Promise<{ socket: Duplex; head: Buffer }>((resolve, reject) => {
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const body = Buffer.concat(chunks);
          reject(status >= 400
            ? new DaemonError(status, errorText({ status, headers: res.headers, body }, `http://api.moby.localhost${path}`))
            : new Error(`unable to upgrade to tcp, received ${status}`));
        });
      });
    });
    req.end(payload);
    return Promise.race([upgraded, failed]);
  }

  /** Like `request`, but a status ≥ 400 becomes a DaemonError. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const res = await this.request(method, path, opts);
    if (res.status >= 400) throw new DaemonError(res.status, errorText(res, `http://api.moby.localhost${path}`));
    return res;
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.call(method, path, opts);
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  /** Drop idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
