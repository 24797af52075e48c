// Lab machines: create, list, start/stop, exec. Each machine is a network namespace on the lab
// LAN with its own UTS namespace (its hostname) and its own weftd.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { conflict, invalid, notFound } from '../errors.js';
import { afterCreate } from './after-create.js';
import { removeMachines, removeStrays } from './cleanup.js';
import { resolveEngineOpts } from './engine-opts.js';
import { mountsUnder } from './mounts.js';
import {
  DEFAULT_LAB,
  DEFAULT_RUN_ROOT,
  DEFAULT_STATE_ROOT,
  LAN_PREFIX,
  checkLabName,
  checkMachineName,
  dockerHost,
  labRunDir,
  machineNetns,
  machineStateDir,
  socketPath,
  utsFile,
  type LabConfig,
} from './naming.js';
import { addMachineNetns, ensureLan, netnsExists } from './netns.js';
import { labProcesses } from './ownership.js';
import { isRunning, stopProcesses } from './processes.js';
import { run } from './run.js';
import { readState, updateMachine, withLabLock, writeState, type MachineRecord } from './state.js';
import { defaultWeftdCommand, inMachine, launchWeftd, ping } from './weftd.js';

/**
 * The lab named by `WEFT_LAB` (default `weft`), with defaults for everything not given.
 * `WEFT_LAB_WEFTD` (a command line, split on spaces) replaces `node <repo>/bin/weftd`, e.g. with
 * a development build or a test stand-in.
 */
export function labConfig(overrides: Partial<LabConfig> = {}): LabConfig {
  const weftdFromEnv = process.env.WEFT_LAB_WEFTD?.trim().split(/\s+/);
  return {
    name: checkLabName(overrides.name ?? process.env.WEFT_LAB ?? DEFAULT_LAB),
    stateRoot: overrides.stateRoot ?? DEFAULT_STATE_ROOT,
    runRoot: overrides.runRoot ?? DEFAULT_RUN_ROOT,
    weftd: overrides.weftd ?? (weftdFromEnv?.[0] ? weftdFromEnv : defaultWeftdCommand()),
    startTimeoutMs: overrides.startTimeoutMs ?? 30_000,
    stopTimeoutMs: overrides.stopTimeoutMs ?? 5_000,
    log: overrides.log ?? (() => undefined),
  };
}

export interface MachineInfo {
  readonly name: string;
  readonly ip: string;
  readonly store: string;
  /** `unix:///run/weft/<lab>/<name>.sock`: what `-H` takes. */
  readonly host: string;
  readonly socketPath: string;
  readonly pid: number | undefined;
  readonly state: 'running' | 'stopped';
  readonly engineOpts: readonly (readonly [string, string])[];
}

export interface CreateMachineOptions {
  /** `KEY=VALUE` each, as `--engine-opt` takes them: weftd gets `--KEY VALUE`. */
  readonly engineOpts?: readonly string[];
}

function firstFreeIp(taken: Iterable<MachineRecord>): string {
  const used = new Set([...taken].map((m) => m.ip));
  for (let host = 2; host <= 254; host++) {
    if (!used.has(`${LAN_PREFIX}${host}`)) return `${LAN_PREFIX}${host}`;
  }
  throw invalid('the lab LAN is full (253 machines)');
}

/** A persistent UTS namespace holding the hostname, bind-mounted so anyone can join it later. */
async function makeUts(lab: LabConfig, name: string): Promise<void> {
  const file = utsFile(lab, name);
  fs.mkdirSync(labRunDir(lab), { recursive: true });
  fs.writeFileSync(file, '');
  await run(['unshare', `--uts=${file}`, 'hostname', name]);
}

const utsMounted = (lab: LabConfig, name: string) => mountsUnder([utsFile(lab, name)]).length > 0;

/**
 * Make the lab's LAN now, before any machine: for a store or resolver that must
 * run in the LAN namespace (at LAN_GATEWAY) before the first weftd starts. Idempotent.
 */
export async function prepareLab(lab: LabConfig): Promise<void> {
  await withLabLock(lab, () => ensureLan(lab));
}

export async function createMachine(lab: LabConfig, name: string, options: CreateMachineOptions = {}): Promise<MachineInfo> {
  checkMachineName(lab, name);
  const engineOpts = resolveEngineOpts(lab, options.engineOpts ?? []);
  const record = await withLabLock(lab, async () => {
    const state = readState(lab);
    if (state?.machines[name]) throw conflict(`Host already exists: "${name}"`);
    await removeStrays(lab, state);
    await ensureLan(lab);
    const machines = state?.machines ?? {};
    const m: MachineRecord = {
      name,
      ip: firstFreeIp(Object.values(machines)),
      store: engineOpts.find(([k]) => k === 'cluster-store')![1],
      engineOpts,
      createdAt: new Date().toISOString(),
    };
    // Recorded before anything is made, so that a crash part-way leaves something `rm` finds.
    writeState(lab, { machines: { ...machines, [name]: m } });
    return m;
  });
  lab.log(`Creating machine "${name}" (${record.ip}) in lab "${lab.name}"`);
  try {
    await addMachineNetns(lab, name, record.ip);
    await makeUts(lab, name);
    fs.mkdirSync(machineStateDir(lab, name), { recursive: true });
    const weftd = await launchWeftd(lab, record);
    await withLabLock(lab, () => updateMachine(lab, name, (m) => ({ ...m, weftd })));
    lab.log(`Machine "${name}" is up: weftd pid ${weftd.pid}, ${dockerHost(lab, name)}`);
    const info = await inspectMachine(lab, name);
    await afterCreate(lab, info);
    return info;
  } catch (err) {
    // Roll back: a failed create leaves nothing behind, not even its record (nor, if it was the
    // lab's first machine, the lab).
    await removeMachines(lab, [name]).catch((cleanupErr: unknown) =>
      lab.log(`cleaning up after the failed create of "${name}": ${String(cleanupErr)}`),
    );
    throw err;
  }
}

function getRecord(lab: LabConfig, name: string): MachineRecord {
  checkMachineName(lab, name);
  const m = readState(lab)?.machines[name];
  if (!m) throw notFound(`Host does not exist: "${name}"`);
  return m;
}

async function describe(lab: LabConfig, m: MachineRecord): Promise<MachineInfo> {
  const alive = m.weftd !== undefined && isRunning(m.weftd);
  const answering = alive && (await ping(socketPath(lab, m.name)));
  return {
    name: m.name,
    ip: m.ip,
    store: m.store,
    host: dockerHost(lab, m.name),
    socketPath: socketPath(lab, m.name),
    pid: alive ? m.weftd!.pid : undefined,
    state: answering ? 'running' : 'stopped',
    engineOpts: m.engineOpts,
  };
}

export const inspectMachine = (lab: LabConfig, name: string) => describe(lab, getRecord(lab, name));

export async function listMachines(lab: LabConfig): Promise<MachineInfo[]> {
  const machines = Object.values(readState(lab)?.machines ?? {});
  machines.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return Promise.all(machines.map((m) => describe(lab, m)));
}

/** The machine's LAN address (no daemon needed). */
export const machineIp = (lab: LabConfig, name: string): string => getRecord(lab, name).ip;

/** `-H unix:///run/weft/<lab>/<name>.sock`, for `docker $(weft machine config NAME) …`. */
export function machineConfig(lab: LabConfig, name: string): string {
  getRecord(lab, name);
  return `-H ${dockerHost(lab, name)}`;
}

/** Stop the machine's weftd (SIGTERM, SIGKILL after the lab's stop timeout; or SIGKILL at once). */
export async function stopMachine(lab: LabConfig, name: string, opts: { kill?: boolean } = {}): Promise<void> {
  const m = getRecord(lab, name);
  const weftds = [...(m.weftd ? [m.weftd] : []), ...labProcesses(lab).filter((p) => p.owner === name && p.isWeftd)];
  const stuck = await stopProcesses(weftds, opts.kill ? 0 : lab.stopTimeoutMs);
  if (stuck.length > 0) throw new Error(`weftd of "${name}" (pid ${stuck[0]!.pid}) would not stop`);
  await withLabLock(lab, () => updateMachine(lab, name, ({ weftd: _stopped, ...rest }) => rest));
}

/** Start the machine's weftd again (same namespaces, data and flags); a no-op if it runs. */
export async function startMachine(lab: LabConfig, name: string): Promise<MachineInfo> {
  const m = getRecord(lab, name);
  const now = await describe(lab, m);
  if (now.state === 'running') return now;
  if (m.weftd && isRunning(m.weftd)) await stopMachine(lab, name);
  if (!netnsExists(machineNetns(lab, name))) {
    throw new Error(`machine "${name}": its network namespace ${machineNetns(lab, name)} is gone; rm and create it again`);
  }
  if (!utsMounted(lab, name)) await makeUts(lab, name);
  const weftd = await launchWeftd(lab, m);
  await withLabLock(lab, () => updateMachine(lab, name, (r) => ({ ...r, weftd })));
  return inspectMachine(lab, name);
}

/**
 * Run a command in the machine's network and UTS namespaces with this process's stdio; resolves
 * to its exit code (128 + signal number if a signal ended it, as shells report it). Signals sent
 * to this process are passed on while it runs.
 */
export async function execInMachine(lab: LabConfig, name: string, argv: readonly string[]): Promise<number> {
  getRecord(lab, name);
  if (argv.length === 0) throw invalid('exec: no command given');
  const [file, ...args] = inMachine(lab, name, argv);
  const child = spawn(file!, args, { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, sig) => resolve(sig ? 128 + (os.constants.signals[sig] ?? 0) : (code ?? 1)));
    });
  } finally {
    for (const s of signals) process.off(s, forward);
  }
}
