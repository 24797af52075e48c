// A transparent pass-through between the docker CLI and a weftd's API socket that notes when
// each request line arrives (CLOCK_MONOTONIC). It splits an end-to-end figure such as
// convergence into the CLI's share (until `POST …/start` reaches weftd) and the rest, on the
// real path, without instrumenting weftd. The bytes are piped unchanged; the extra hop costs a
// few tens of microseconds per request.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { nowNs } from './clock.js';

export interface Arrival {
  readonly method: string;
  readonly path: string;
  readonly ns: bigint;
}

// A request line at the start of a chunk or after a CRLF; a JSON body never holds " HTTP/1.1\r\n".
const REQUEST_LINE = /(?:^|\r\n)(GET|HEAD|POST|PUT|DELETE) (\S+) HTTP\/1\.[01]\r\n/g;

export class RequestTap {
  readonly arrivals: Arrival[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly socketPath: string,
  ) {}

  /** Listens on a fresh socket in a temporary directory and forwards to `target`. */
  static async open(target: string): Promise<RequestTap> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-tap-'));
    const socketPath = path.join(dir, 'api.sock');
    const server = net.createServer();
    const tap = new RequestTap(server, socketPath);
    server.on('connection', (client) => tap.forward(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    return tap;
  }

  /** The first arrival of a request whose path contains `fragment`, after `since`. */
  find(method: string, fragment: string, since: bigint): Arrival | undefined {
    return this.arrivals.find((a) => a.ns >= since && a.method === method && a.path.includes(fragment));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(path.dirname(this.socketPath), { recursive: true, force: true });
  }

  private forward(client: net.Socket, target: string): void {
    const upstream = net.createConnection(target);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      const ns = nowNs();
      for (const m of chunk.toString('latin1').matchAll(REQUEST_LINE)) this.arrivals.push({ method: m[1]!, path: m[2]!, ns });
    });
    // pipe() handles backpressure and half-closes (the CLI's hijacked streams close one way).
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
