// A cluster store server (etcd or ZooKeeper) running inside a lab machine, as the walkthrough's
// "key-value store on its own host": `weft store start --machine kv etcd`.
//
// The server runs in the machine's network and UTS namespaces (nsenter, like weftd), listens on
// the machine's LAN address, keeps its data under the machine's state directory, and is
// detached with its output in a log there. Its PID (with its start time) is recorded in the
// machine's entry in machines.json, so `weft machine rm` and `weft lab rm` stop it gracefully
// first; they would find it anyway, by its namespaces, like any process of the machine.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { conflict, invalid, notFound } from '../errors.js';
import { checkMachineName, machineStateDir, type LabConfig } from './naming.js';
import { isRunning, processRef, stopProcesses, type ProcessRef } from './processes.js';
import { readState, updateMachine, withLabLock, type StoreServerRecord } from './state.js';
import { inMachine, logTail } from './weftd.js';

export const STORE_KINDS = ['etcd', 'zookeeper'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export const STORE_PORTS: Record<StoreKind, number> = { etcd: 2379, zookeeper: 2181 };

export function checkStoreKind(kind: string): StoreKind {
  if ((STORE_KINDS as readonly string[]).includes(kind)) return kind as StoreKind;
  throw invalid(`unknown store "${kind}": use one of ${STORE_KINDS.join(', ')}`);
}

/** The `--cluster-store` URL of a store server at `ip`. */
export function storeUrl(kind: StoreKind, ip: string, port = STORE_PORTS[kind]): string {
  return `${kind === 'etcd' ? 'etcd' : 'zk'}://${ip}:${port}`;
}

// ---- how each server is run (also used by the tests' own servers) -------------------------

/** `/etc/zookeeper/conf` and every jar under /usr/share/java: Debian's zookeeper 3.8 classpath. */
export function zooKeeperClasspath(): string {
  const jars = fs.readdirSync('/usr/share/java').filter((f) => f.endsWith('.jar')).sort().map((f) => path.join('/usr/share/java', f));
  return ['/etc/zookeeper/conf', ...jars].join(':');
}

export interface ZooKeeperSettings {
  readonly dataDir: string;
  readonly address: string;
  readonly port: number;
  /** ms; session timeouts (the leases) may go down to 2 ticks unless minSessionTimeout says otherwise. */
  readonly tickTime?: number;
  readonly minSessionTimeout?: number;
  readonly maxSessionTimeout?: number;
}

export function zooKeeperConfig(s: ZooKeeperSettings): string {
  return [
    `tickTime=${s.tickTime ?? 500}`,
    `dataDir=${s.dataDir}`,
    `clientPort=${s.port}`,
    `clientPortAddress=${s.address}`,
    'admin.enableServer=false',
    `minSessionTimeout=${s.minSessionTimeout ?? 1000}`,
    `maxSessionTimeout=${s.maxSessionTimeout ?? 120000}`,
    '4lw.commands.whitelist=ruok,srvr',
    '',
  ].join('\n');
}

/** argv of a ZooKeeper server with the given zoo.cfg (a small heap; it starts in about a second). */
export function zooKeeperCommand(configFile: string): string[] {
  return [
    'java', '-Xms32m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
    '-cp', zooKeeperClasspath(), 'org.apache.zookeeper.server.quorum.QuorumPeerMain', configFile,
  ];
}

export interface EtcdMemberSettings {
  readonly name: string;
  readonly dataDir: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  /** name=peerUrl,… of every member (just this one for a single member). */
  readonly initialCluster: string;
  readonly token?: string;
}

export function etcdCommand(s: EtcdMemberSettings): string[] {
  return [
    'etcd', '--name', s.name, '--data-dir', s.dataDir,
    '--listen-client-urls', s.clientUrl, '--advertise-client-urls', s.clientUrl,
    '--listen-peer-urls', s.peerUrl, '--initial-advertise-peer-urls', s.peerUrl,
    '--initial-cluster', s.initialCluster, '--initial-cluster-token', s.token ?? 'weft',
    '--initial-cluster-state', 'new', '--logger', 'zap', '--log-outputs', 'stderr',
  ];
}

// ---- in a lab machine ------------------------------------------------------------------------

const storeDir = (lab: LabConfig, machine: string, kind: StoreKind) => path.join(machineStateDir(lab, machine), 'stores', kind);

function machineRecord(lab: LabConfig, machine: string) {
  checkMachineName(lab, machine);
  const m = readState(lab)?.machines[machine];
  if (!m) throw notFound(`Host does not exist: "${machine}"`);
  return m;
}

export interface StoreServerInfo extends StoreServerRecord {
  readonly machine: string;
  readonly running: boolean;
}

export function listStoreServers(lab: LabConfig): StoreServerInfo[] {
  const out: StoreServerInfo[] = [];
  for (const m of Object.values(readState(lab)?.machines ?? {})) {
    for (const s of Object.values(m.stores ?? {})) out.push({ ...s, machine: m.name, running: isRunning(s.process) });
  }
  return out.sort((a, b) => `${a.machine} ${a.kind}`.localeCompare(`${b.machine} ${b.kind}`));
}

/**
 * Start a `kind` server in `machine`, listening on its LAN address, and wait until it answers.
 * Returns its URL. If one is already running there, returns its URL.
 */
export async function startStoreServer(lab: LabConfig, machine: string, kind: StoreKind): Promise<string> {
  const m = machineRecord(lab, machine);
  const existing = m.stores?.[kind];
  if (existing && isRunning(existing.process)) return existing.url;
  const port = STORE_PORTS[kind];
  const url = storeUrl(kind, m.ip, port);
  const dir = storeDir(lab, machine, kind);
  fs.mkdirSync(dir, { recursive: true });
  let server: string[];
  if (kind === 'etcd') {
    // Peers talk on the machine's own loopback: this is a one-member cluster.
    const peerUrl = 'http://127.0.0.1:2380';
    server = etcdCommand({
      name: machine, dataDir: path.join(dir, 'data'), clientUrl: `http://${m.ip}:${port}`, peerUrl,
      initialCluster: `${machine}=${peerUrl}`, token: `${lab.name}-${machine}`,
    });
  } else {
    const cfg = path.join(dir, 'zoo.cfg');
    fs.writeFileSync(cfg, zooKeeperConfig({ dataDir: path.join(dir, 'data'), address: m.ip, port }));
    server = zooKeeperCommand(cfg);
  }
  const log = path.join(dir, `${kind}.log`);
  lab.log(`Starting ${kind} in machine "${machine}" on ${m.ip}:${port}`);
  const ref = launch(inMachine(lab, machine, server), log);
  try {
    await untilAnswering(lab, machine, kind, m.ip, port, ref, log);
    await withLabLock(lab, () => {
      const now = readState(lab)?.machines[machine];
      if (!now) throw conflict(`machine "${machine}" was removed while its ${kind} started`);
      updateMachine(lab, machine, (r) => ({ ...r, stores: { ...r.stores, [kind]: { kind, url, process: ref } } }));
    });
  } catch (err) {
    await stopProcesses([ref], 0);
    throw err;
  }
  lab.log(`${kind} is up in "${machine}": pid ${ref.pid}, ${url}`);
  return url;
}

/** Stop the machine's store servers (one kind, or all); a no-op for those not running. */
export async function stopStoreServers(lab: LabConfig, machine: string, kind?: StoreKind): Promise<void> {
  const m = machineRecord(lab, machine);
  const servers = Object.values(m.stores ?? {}).filter((s) => kind === undefined || s.kind === kind);
  const stuck = await stopProcesses(servers.map((s) => s.process), lab.stopTimeoutMs);
  if (stuck.length > 0) throw new Error(`store server of "${machine}" (pid ${stuck[0]!.pid}) would not stop`);
  await withLabLock(lab, () => updateMachine(lab, machine, (r) => {
    const stores = Object.fromEntries(Object.entries(r.stores ?? {}).filter(([k]) => !servers.some((s) => s.kind === k)));
    const { stores: _old, ...rest } = r;
    return Object.keys(stores).length > 0 ? { ...rest, stores } : rest;
  }));
}

/** Detached (own session, stdin /dev/null, output appended to `log`); nsenter execs in place, so the PID is the server's. */
function launch(argv: readonly string[], log: string): ProcessRef {
  const out = fs.openSync(log, 'a');
  fs.writeSync(out, `--- ${new Date().toISOString()} ${argv.join(' ')}\n`);
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, out], cwd: '/' });
  fs.closeSync(out);
  child.on('error', () => undefined); // reported below: the process is not running
  child.unref();
  const ref = child.pid !== undefined ? processRef(child.pid) : undefined;
  if (!ref) throw new Error(`could not start ${argv.join(' ')}; see ${log}`);
  return ref;
}

/**
 * Ask the server from inside the machine (its address is only reachable in the lab): etcd's
 * /health must say true, ZooKeeper must answer "ruok" with "imok".
 */
async function untilAnswering(lab: LabConfig, machine: string, kind: StoreKind, ip: string, port: number, ref: ProcessRef, log: string): Promise<void> {
  const probe = kind === 'etcd'
    ? `require('http').get('http://${ip}:${port}/health',{timeout:1000},(r)=>{let b='';r.on('data',(d)=>b+=d);r.on('end',()=>process.exit(b.includes('"true"')?0:1))}).on('error',()=>process.exit(1))`
    : `const s=require('net').connect(${port},'${ip}');let b='';s.setTimeout(1000,()=>process.exit(1));s.on('connect',()=>s.write('ruok'));s.on('data',(d)=>b+=d);s.on('close',()=>process.exit(b==='imok'?0:1));s.on('error',()=>process.exit(1))`;
  const argv = inMachine(lab, machine, [process.execPath, '-e', probe]);
  const deadline = Date.now() + lab.startTimeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(ref)) throw new Error(`${kind} in machine "${machine}" exited while starting; last lines of ${log}:\n${logTail(log)}`);
    if (spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 3000 }).status === 0) return;
    await sleep(200);
  }
  throw new Error(`${kind} in machine "${machine}" did not answer on ${ip}:${port} within ${lab.startTimeoutMs} ms; last lines of ${log}:\n${logTail(log)}`);
}
