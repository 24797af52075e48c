// The benchmark's own lab: a unique name (`wb<random>`: the prefix of every namespace, socket
// and directory it makes), registered with this process's PID and start time so that the next
// run removes it if this one is killed before its `finally`. Hosts are driven with the real
// docker CLI, as a user would; commands enter the lab's namespaces with nsenter only.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createMachine,
  dockerHost,
  inspectMachine,
  labConfig,
  labResidue,
  lanNetns,
  machineNetns,
  removeLab,
  removeMachines,
  type LabConfig,
  type MachineInfo,
} from '../../src/lab/index.js';
import { isRunning, processRef } from '../../src/lab/processes.js';
import { run, runOk, type RunOptions, type RunResult } from './proc.js';

export const DOCKER = '/usr/local/bin/docker';
const registry = path.join(os.tmpdir(), 'weft-bench-labs');
const dockerConfig = path.join(os.tmpdir(), 'weft-bench-docker-config');

export class BenchLab {
  private removed = false;

  private constructor(
    readonly name: string,
    readonly cfg: LabConfig,
    private readonly unregister: () => void,
  ) {}

  static async create(log: (m: string) => void): Promise<BenchLab> {
    await sweepAbandoned(log);
    const name = `wb${crypto.randomBytes(3).toString('hex')}`;
    // WEFT_LAB_WEFTD (e.g. "node --cpu-prof --cpu-prof-dir=/tmp/prof /work/main/bin/weftd") is
    // honoured by labConfig: that is how a profiled run is made.
    const cfg = labConfig({ name, log: (m) => log(`[lab] ${m}`), startTimeoutMs: 60_000 });
    fs.mkdirSync(dockerConfig, { recursive: true });
    return new BenchLab(name, cfg, register(name));
  }

  createMachine(host: string, engineOpts: readonly string[] = []): Promise<MachineInfo> {
    return createMachine(this.cfg, host, { engineOpts: [...engineOpts] });
  }

  removeMachines(hosts: readonly string[]): Promise<void> {
    return removeMachines(this.cfg, hosts);
  }

  inspect(host: string): Promise<MachineInfo> {
    return inspectMachine(this.cfg, host);
  }

  async weftdPid(host: string): Promise<number> {
    const m = await this.inspect(host);
    if (m.pid === undefined) throw new Error(`weftd of ${host} is not running`);
    return m.pid;
  }

  hostNetns(host: string): string {
    return machineNetns(this.cfg, host);
  }

  /** A network namespace weftd of `host` made (sandboxes: `<lab>-<host>-sb-<net id>`). */
  weftdNetnsNames(host: string, infix: string): string[] {
    const prefix = `${machineNetns(this.cfg, host)}-${infix}`;
    return fs.readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  }

  docker(host: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.dockerAt(dockerHost(this.cfg, host), args, opts);
  }

  /** The docker CLI against any engine address (`unix:///…`), e.g. a RequestTap in front of a host. */
  dockerAt(engine: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run([DOCKER, '-H', engine, ...args], {
      timeoutMs: 60_000,
      ...opts,
      env: { ...process.env, DOCKER_CONFIG: dockerConfig },
    });
  }

  async dockerOk(host: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.docker(host, args, opts);
    if (r.code !== 0) throw new Error(`[${host}] docker ${args.join(' ')} exited ${r.code}: ${(r.stderr + r.stdout).trim()}`);
    return r.stdout;
  }

  /** A running container's PID 1 on this machine (State.Pid): what `nsenter -n -t` takes. */
  async containerPid(host: string, container: string): Promise<number> {
    const pid = Number((await this.dockerOk(host, ['inspect', '-f', '{{.State.Pid}}', container])).trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`[${host}] container ${container} has no PID (not running?)`);
    return pid;
  }

  async containerIp(host: string, container: string, network: string): Promise<string> {
    const ip = (await this.dockerOk(host, ['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container])).trim();
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`[${host}] container ${container} has no address on ${network}: "${ip}"`);
    return ip;
  }

  /** argv run in a lab host's network namespace (the underlay side of that host). */
  inHostNet(host: string, argv: readonly string[]): string[] {
    return ['nsenter', `--net=/run/netns/${machineNetns(this.cfg, host)}`, '--', ...argv];
  }

  /** argv run in the lab LAN's namespace (198.18.0.1, the bridge all hosts hang off). */
  inLanNet(argv: readonly string[]): string[] {
    return ['nsenter', `--net=/run/netns/${lanNetns(this.cfg)}`, '--', ...argv];
  }

  runInLan(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return runOk(this.inLanNet(argv), opts);
  }

  /** Remove the lab, then check that nothing of it is left. Safe to call twice. */
  async remove(): Promise<void> {
    if (this.removed) return;
    await removeLab(this.cfg);
    const r = labResidue(this.cfg);
    const left = [...r.netns.map((n) => `netns ${n}`), ...r.processes.map((p) => `process ${p.pid}: ${p.cmdline}`), ...r.mounts, ...r.paths];
    if (left.length > 0) throw new Error(`lab ${this.name} left things behind:\n  ${left.join('\n  ')}`);
    this.removed = true;
    this.unregister();
  }
}

/** argv run in the network namespace of a process (a container's PID 1), with host binaries. */
export const inPidNet = (pid: number, argv: readonly string[]): string[] => ['nsenter', '-n', '-t', String(pid), '--', ...argv];

function register(name: string): () => void {
  const me = processRef(process.pid)!;
  fs.mkdirSync(registry, { recursive: true });
  const tmp = path.join(registry, `.${name}.tmp`);
  fs.writeFileSync(tmp, `${me.pid} ${me.startTime}\n`);
  fs.renameSync(tmp, path.join(registry, name));
  return () => fs.rmSync(path.join(registry, name), { force: true });
}

/** Labs of earlier benchmark runs whose process died before removing them. */
async function sweepAbandoned(log: (m: string) => void): Promise<void> {
  let entries: string[];
  try {
    entries = fs.readdirSync(registry).filter((e) => !e.startsWith('.'));
  } catch {
    return;
  }
  for (const name of entries) {
    const file = path.join(registry, name);
    let owner: string;
    try {
      owner = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const [pid, startTime] = owner.trim().split(' ').map(Number);
    if (!pid || startTime === undefined || isRunning({ pid, startTime })) continue;
    log(`removing lab ${name} of an earlier benchmark run (pid ${pid} is gone)`);
    try {
      await removeLab(labConfig({ name, weftd: [] }));
      fs.rmSync(file, { force: true });
    } catch (err) {
      log(`could not remove abandoned lab ${name}: ${String(err)}`);
    }
  }
}
