// Shared test plumbing: an API server on a unix socket in a fresh temp dir, a raw HTTP helper
// (independent of src/cli/client.ts), and a runner for the real docker CLI.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiBackend } from '../../src/api/backend.js';
import { createApiServer, type ApiLogger } from '../../src/api/server.js';

export const silentLogger: ApiLogger = { debug: () => {}, warn: () => {}, error: () => {} };

export interface TestServer {
  readonly socketPath: string;
  readonly dir: string;
  readonly errors: object[];
  close(): Promise<void>;
}

export async function startServer(backend: ApiBackend): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-api-'));
  const socketPath = join(dir, 'api.sock');
  const errors: object[] = [];
  const server = createApiServer(backend, { logger: { ...silentLogger, error: (obj) => void errors.push(obj) } });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    dir,
    errors,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly text: string;
}

export function request(
  socketPath: string,
  method: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method,
        path,
        agent: false,
        headers: {
          ...(opts.body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(opts.body)) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const DOCKER = '/usr/local/bin/docker';
export const hasDocker = existsSync(DOCKER);

export interface CliResult {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the real docker CLI against `socketPath`, isolated from the machine's docker config. */
export function docker(server: TestServer, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      DOCKER,
      ['-H', `unix://${server.socketPath}`, ...args],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: server.dir, DOCKER_CONFIG: join(server.dir, 'docker-config'), ...env },
        timeout: 30_000,
        // An attached docker CLI forwards SIGTERM to the container instead of exiting.
        killSignal: "SIGKILL",
      },
      (err, stdout, stderr) => {
        const rc = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ rc, stdout, stderr });
      },
    );
  });
}
