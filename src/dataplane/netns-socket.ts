// Sockets bound inside another network namespace, for the embedded DNS server.
//
// A socket belongs for its whole life to the namespace it was created in, so weftd, which runs
// in its own namespace, can serve 127.0.0.11:53 inside every container from one process: it
// only has to create the sockets there. Two ways to do that:
// - the setns addon (native/): setns → socket → bind → setns back on the calling thread,
//   ~0.2 ms per container (the one exception to STYLE.md §8, which the addon explains);
// - the fallback: a short-lived helper process started inside the namespace with nsenter binds
//   the sockets and hands them back over Node's IPC channel, ~150 ms per container.
// createNetnsSocketBinder() uses the addon when it is built and loads, unless
// WEFT_DNS_SOCKETS=ipc asks for the fallback.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export interface NetnsSockets {
  /** UDP, bound to the listen address (127.0.0.11:53) inside the namespace. */
  readonly udp: dgram.Socket;
  /** TCP, listening on the same address inside the namespace. */
  readonly tcp: net.Server;
  /**
   * UDP, bound to 0.0.0.0 on an ephemeral port inside the namespace: forwarded queries leave
   * from here, so they take the container's routes (as Docker's do) and never the daemon's.
   */
  readonly upstream: dgram.Socket;
}

export interface NetnsSocketBinder {
  /** Which way the sockets are made, for logs and tests. */
  readonly kind: 'addon' | 'ipc';
  bind(nsPath: string): Promise<NetnsSockets>;
}

export interface ListenAddress {
  readonly ip: string;
  readonly port: number;
}

export const DNS_LISTEN: ListenAddress = { ip: '127.0.0.11', port: 53 };

interface NetnsAddon {
  bindInNetns(nsPath: string, kind: 'udp' | 'tcp', ip: string, port: number): number;
}

const ADDON_PATH = fileURLToPath(new URL('../../../native/build/Release/weft_netns.node', import.meta.url));

export type AddonLoad = { readonly addon: NetnsAddon } | { readonly error: Error };

export function loadNetnsAddon(path = ADDON_PATH): AddonLoad {
  try {
    const addon = createRequire(import.meta.url)(path) as Partial<NetnsAddon>;
    if (typeof addon.bindInNetns !== 'function') return { error: new Error(`${path} has no bindInNetns()`) };
    return { addon: addon as NetnsAddon };
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** The pino subset used here. */
interface BinderLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface BinderOptions {
  readonly listen?: ListenAddress;
  readonly logger?: BinderLogger;
  /** Defaults to process.env; WEFT_DNS_SOCKETS=ipc forces the fallback. */
  readonly env?: NodeJS.ProcessEnv;
}

export function createNetnsSocketBinder(opts: BinderOptions = {}): NetnsSocketBinder {
  const listen = opts.listen ?? DNS_LISTEN;
  const mode = (opts.env ?? process.env)['WEFT_DNS_SOCKETS'];
  if (mode === 'ipc') {
    opts.logger?.info({ dnsSockets: 'ipc', reason: 'WEFT_DNS_SOCKETS=ipc' }, 'DNS sockets: IPC handoff from a helper process');
    return new IpcSocketBinder(listen);
  }
  const load = loadNetnsAddon();
  if ('error' in load) {
    opts.logger?.warn(
      { dnsSockets: 'ipc', reason: load.error.message },
      'DNS sockets: setns addon not available, using the slower IPC handoff from a helper process',
    );
    return new IpcSocketBinder(listen);
  }
  opts.logger?.info({ dnsSockets: 'addon' }, 'DNS sockets: setns addon');
  return new AddonSocketBinder(load.addon, listen);
}

export class AddonSocketBinder implements NetnsSocketBinder {
  readonly kind = 'addon';

  constructor(
    private readonly addon: NetnsAddon,
    private readonly listen: ListenAddress = DNS_LISTEN,
  ) {}

  async bind(nsPath: string): Promise<NetnsSockets> {
    const fds: number[] = [];
    try {
      fds.push(this.addon.bindInNetns(nsPath, 'udp', this.listen.ip, this.listen.port));
      fds.push(this.addon.bindInNetns(nsPath, 'tcp', this.listen.ip, this.listen.port));
      fds.push(this.addon.bindInNetns(nsPath, 'udp', '0.0.0.0', 0));
    } catch (err) {
      for (const fd of fds) closeSync(fd);
      throw err;
    }
    const [udpFd, tcpFd, upstreamFd] = fds as [number, number, number];
    // An fd belongs to the object that adopted it, or still to us: on failure close both kinds.
    const unadopted = new Set(fds);
    const adopted: { close(): void }[] = [];
    const adopt = <T extends { close(): void }>(fd: number, make: () => T): T => {
      const owner = make();
      unadopted.delete(fd);
      adopted.push(owner);
      return owner;
    };
    try {
      const udp = adopt(udpFd, () => dgram.createSocket('udp4').bind({ fd: udpFd }));
      const upstream = adopt(upstreamFd, () => dgram.createSocket('udp4').bind({ fd: upstreamFd }));
      const tcp = adopt(tcpFd, () => net.createServer());
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ fd: tcpFd }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, upstream };
    } catch (err) {
      for (const owner of adopted) closeQuietly(() => owner.close());
      for (const fd of unadopted) closeQuietly(() => closeSync(fd));
      throw err;
    }
  }
}

function closeQuietly(close: () => void): void {
  try {
    close();
  } catch {
    // not open after all
  }
}

// The helper runs with `node -e`, so it is kept here, next to the code that receives its
// sockets, and stays dependency-free. It exits when the daemon closes the channel (after taking
// the sockets) or when the daemon goes away. It closes its own copy of each socket as soon as
// the copy is on its way, so that it does not read queries meant for the daemon.
const HELPER = String.raw`
'use strict';
const dgram = require('node:dgram');
const net = require('node:net');
const ip = process.argv[1];
const port = Number(process.argv[2]);
process.on('disconnect', () => process.exit(0));
function fail(err) {
  process.send({ kind: 'error', message: String(err && err.message || err), code: err && err.code }, () => process.exit(1));
}
function bindUdp(host, p) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind({ address: host, port: p, exclusive: true }, () => { s.off('error', reject); resolve(s); });
  });
}
function listenTcp(host, p) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host, port: p, exclusive: true }, () => { s.off('error', reject); resolve(s); });
  });
}
function hand(kind, handle) {
  return new Promise((resolve, reject) => {
    process.send({ kind }, handle, (err) => { if (err) reject(err); else { handle.close(); resolve(); } });
  });
}
(async () => {
  const udp = await bindUdp(ip, port);
  const tcp = await listenTcp(ip, port);
  const upstream = await bindUdp('0.0.0.0', 0);
  await hand('udp', udp);
  await hand('tcp', tcp);
  await hand('upstream', upstream);
})().catch(fail);
`;

/** How long a helper may take from spawn to its last socket before bind() gives up on it. */
const HELPER_TIMEOUT_MS = 10_000;

export class IpcSocketBinder implements NetnsSocketBinder {
  readonly kind = 'ipc';

  constructor(private readonly listen: ListenAddress = DNS_LISTEN) {}

  bind(nsPath: string): Promise<NetnsSockets> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        'nsenter',
        [`--net=${nsPath}`, '--', process.execPath, '-e', HELPER, this.listen.ip, String(this.listen.port)],
        { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' },
      );
      const got: { udp?: dgram.Socket; tcp?: net.Server; upstream?: dgram.Socket } = {};
      let stderr = '';
      let settled = false;
      const timer = setTimeout(() => finish(new Error(`DNS socket helper for ${nsPath} took over ${HELPER_TIMEOUT_MS} ms`)), HELPER_TIMEOUT_MS);

      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (child.connected) child.disconnect();
        if (err === undefined && got.udp && got.tcp && got.upstream) {
          resolve({ udp: got.udp, tcp: got.tcp, upstream: got.upstream });
          return;
        }
        got.udp?.close();
        got.tcp?.close();
        got.upstream?.close();
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(err ?? new Error(`DNS socket helper for ${nsPath} ended early`));
      };

      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < 4096) stderr += chunk;
      });
      child.on('error', (err) => finish(err));
      child.on('message', (raw: unknown, handle: unknown) => {
        const msg = (typeof raw === 'object' && raw !== null ? raw : {}) as { kind?: string; message?: string; code?: string };
        if (msg.kind === 'error') {
          const err = Object.assign(new Error(`binding DNS sockets in ${nsPath}: ${msg.message ?? 'unknown error'}`), { code: msg.code });
          finish(err);
        } else if (msg.kind === 'udp' && handle instanceof dgram.Socket) {
          got.udp = handle;
        } else if (msg.kind === 'upstream' && handle instanceof dgram.Socket) {
          got.upstream = handle;
        } else if (msg.kind === 'tcp' && handle instanceof net.Server) {
          got.tcp = handle;
        }
        if (got.udp && got.tcp && got.upstream) finish();
      });
      child.on('exit', (code, signal) => {
        if (settled) return;
        const detail = stderr.trim() || `exit ${code ?? signal}`;
        finish(new Error(`DNS socket helper for ${nsPath} failed: ${detail}`));
      });
    });
  }
}
