// Real etcd and ZooKeeper servers for tests: each on free loopback ports with a temporary data
// dir, started by PID and stopped by PID (SIGTERM, then SIGKILL), data removed afterwards. The
// command lines are the lab's (src/lab/store-server.ts), so tests run what `weft store` runs. Call
// stop() in an after hook; a process 'exit' handler also kills whatever is still running, so a
// crashed test run leaves no server behind.
//
//   const etcd = await startEtcd();            // or startEtcd({ members: 3 })
//   after(() => etcd.stop());
//   openEtcdStore({ endpoints: etcd.endpoints, prefix: 'test1' });
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { etcdCommand, zooKeeperCommand, zooKeeperConfig } from '../../src/lab/store-server.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.pid !== undefined) tryKill(child.pid, 'SIGKILL');
});

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** A free TCP port on 127.0.0.1 (the kernel's pick; released just before the server takes it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One server process: spawned with its output in a log file, stopped by its PID. */
class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly argv: readonly string[], private readonly log: string, private readonly cwd: string) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error(`${this.argv[0]} is already running (pid ${this.pid})`);
    const out = fs.openSync(this.log, 'a');
    fs.writeSync(out, `--- ${new Date().toISOString()} ${this.argv.join(' ')}\n`);
    const child = spawn(this.argv[0]!, this.argv.slice(1), { stdio: ['ignore', out, out], cwd: this.cwd });
    fs.closeSync(out);
    running.add(child);
    this.exited = new Promise((resolve) => child.once('exit', () => {
      running.delete(child);
      resolve();
    }));
    child.once('error', () => running.delete(child));
    this.child = child;
  }

  /** SIGTERM (or the given signal), SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined || !this.running) return;
    tryKill(child.pid, signal);
    const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      tryKill(child.pid, 'SIGKILL');
      await this.exited;
    }
  }

  logTail(lines = 20): string {
    try {
      return fs.readFileSync(this.log, 'utf8').split('\n').slice(-lines - 1).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

async function waitReady(what: string, server: ServerProcess, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.running) throw new Error(`${what} exited while starting; its log:\n${server.logTail()}`);
    if (await probe()) return;
    await sleep(50);
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms; its log:\n${server.logTail()}`);
}

function httpGet(url: string, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** A ZooKeeper four-letter command (e.g. ruok → imok). */
function fourLetter(port: number, command: string, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('connect', () => socket.write(command));
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => resolve(answer === '' ? undefined : answer));
    socket.on('error', () => resolve(undefined));
  });
}

// ---- a TCP proxy, to cut a client off from its server -------------------------------------

export interface TcpProxy {
  readonly endpoint: Endpoint;
  /** Drop every connection through the proxy and refuse new ones until resume(). */
  cut(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: Endpoint): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: { host: '127.0.0.1', port },
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    resume() {
      cut = false;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

// ---- etcd ------------------------------------------------------------------------------------

export interface EtcdMember {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** Stop this member (SIGKILL by default: a crash). Its data dir stays, for restart(). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again with the same data dir, and wait until it answers. */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  readonly endpoints: readonly Endpoint[];
  /** `etcd://h:p,h:p/<prefix>` */
  url(prefix?: string): string;
  /** Stop every member and remove the data. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startEtcd(opts: { members?: number } = {}): Promise<EtcdCluster> {
  const count = opts.members ?? 1;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-etcd-'));
  const ports = await Promise.all(Array.from({ length: count * 2 }, () => freePort()));
  const names = Array.from({ length: count }, (_, i) => `m${i}`);
  const peerUrl = (i: number) => `http://127.0.0.1:${ports[count + i]}`;
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  const token = `weft-test-${path.basename(dir)}`;
  const members = names.map((name, i) => {
    const clientUrl = `http://127.0.0.1:${ports[i]}`;
    const server = new ServerProcess(etcdCommand({
      name, dataDir: path.join(dir, name), clientUrl, peerUrl: peerUrl(i), initialCluster, token,
    }), path.join(dir, `${name}.log`), dir);
    const endpoint = { host: '127.0.0.1', port: ports[i]! };
    const healthy = async () => (await httpGet(`${clientUrl}/health`))?.includes('"true"') ?? false;
    const member: EtcdMember & { server: ServerProcess; healthy: () => Promise<boolean> } = {
      name, endpoint, server, healthy,
      get running() {
        return server.running;
      },
      get pid() {
        return server.pid;
      },
      kill: (signal: NodeJS.Signals = 'SIGKILL') => server.stop(signal),
      async restart() {
        server.start();
        await waitReady(`etcd member ${name}`, server, healthy);
      },
    };
    return member;
  });
  let stopped = false;
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.endpoint),
    url: (prefix = '') => `etcd://${members.map((m) => `${m.endpoint.host}:${m.endpoint.port}`).join(',')}/${prefix}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(members.map((m) => m.server.stop()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const m of members) m.server.start();
    // Members of a new cluster are healthy only once they have a leader, i.e. all have met.
    await Promise.all(members.map((m) => waitReady(`etcd member ${m.name}`, m.server, m.healthy)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

// ---- ZooKeeper -------------------------------------------------------------------------------

export interface ZooKeeperServer {
  readonly endpoint: Endpoint;
  readonly pid: number | undefined;
  /** `zk://127.0.0.1:<port>/<prefix>` */
  url(prefix?: string): string;
  /** Stop (SIGTERM) and start again with the same data dir; sessions survive a restart. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startZooKeeper(): Promise<ZooKeeperServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-zk-'));
  const port = await freePort();
  const cfg = path.join(dir, 'zoo.cfg');
  // A short tick so that sessions (the leases) can be as short as a second in tests.
  fs.writeFileSync(cfg, zooKeeperConfig({
    dataDir: path.join(dir, 'data'), address: '127.0.0.1', port, tickTime: 250, minSessionTimeout: 1000, maxSessionTimeout: 60_000,
  }));
  const server = new ServerProcess(zooKeeperCommand(cfg), path.join(dir, 'zookeeper.log'), dir);
  const ready = async () => (await fourLetter(port, 'ruok')) === 'imok';
  let stopped = false;
  const zk: ZooKeeperServer = {
    endpoint: { host: '127.0.0.1', port },
    get pid() {
      return server.pid;
    },
    url: (prefix = '') => `zk://127.0.0.1:${port}/${prefix}`,
    async restart() {
      await server.stop();
      server.start();
      await waitReady('ZooKeeper', server, ready);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    server.start();
    await waitReady('ZooKeeper', server, ready);
  } catch (err) {
    await zk.stop();
    throw err;
  }
  return zk;
}
