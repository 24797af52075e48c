// machines.json, the lab's record of its machines, and the lock that serialises changes to it
// across `weft machine` processes (and concurrent creates within one test process). Every
// write of machines.json happens with the lock held; reads need none (writes are atomic).
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockFile, machinesFile, type LabConfig } from './naming.js';
import { isRunning, processRef, type ProcessRef } from './processes.js';

export interface MachineRecord {
  readonly name: string;
  readonly ip: string;
  /** The cluster store URL weftd was given. */
  readonly store: string;
  /** weftd's extra flags after the lab's own (engine options), in order: [key, value]. */
  readonly engineOpts: readonly (readonly [string, string])[];
  /** The running weftd, once it answered; cleared when it is stopped on purpose. */
  readonly weftd?: ProcessRef;
  /** Cluster store servers started in this machine (`weft store start`), by kind. */
  readonly stores?: Readonly<Record<string, StoreServerRecord>>;
  readonly createdAt: string;
}

export interface StoreServerRecord {
  readonly kind: 'etcd' | 'zookeeper';
  /** What to pass as --cluster-store. */
  readonly url: string;
  readonly process: ProcessRef;
}

/** The processes the lab started in a machine and recorded: its weftd and its store servers. */
export function recordedProcesses(m: MachineRecord | undefined): ProcessRef[] {
  if (!m) return [];
  return [...(m.weftd ? [m.weftd] : []), ...Object.values(m.stores ?? {}).map((s) => s.process)];
}

export interface LabState {
  readonly machines: Readonly<Record<string, MachineRecord>>;
}

/** The lab's state, or undefined when the lab has no machines.json (new, or forgotten). */
export function readState(lab: LabConfig): LabState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(machinesFile(lab), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as { machines?: Record<string, MachineRecord> };
  return { machines: parsed.machines ?? {} };
}

/** Write atomically (rename), so a reader or a killed writer never leaves half a file. */
export function writeState(lab: LabConfig, state: LabState): void {
  const file = machinesFile(lab);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ lab: lab.name, machines: state.machines }, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function updateMachine(lab: LabConfig, name: string, change: (m: MachineRecord) => MachineRecord): void {
  const state = readState(lab);
  const current = state?.machines[name];
  if (!state || !current) return;
  writeState(lab, { machines: { ...state.machines, [name]: change(current) } });
}

export function removeRecord(lab: LabConfig, name: string): LabState {
  const state = readState(lab) ?? { machines: {} };
  const { [name]: _gone, ...rest } = state.machines;
  const next = { machines: rest };
  if (state.machines[name]) writeState(lab, next);
  return next;
}

// ---- lock ------------------------------------------------------------------------------------
// An O_EXCL file holding the holder's PID and start time: a holder that died (kill -9) is seen
// as such and its lock taken over, so a killed run never wedges the lab. Waiters in the same
// process simply poll like any other.

async function acquireFile(file: string, timeoutMs: number): Promise<void> {
  const me = processRef(process.pid)!;
  const deadline = Date.now() + timeoutMs;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (;;) {
    try {
      fs.writeFileSync(file, `${me.pid} ${me.startTime}\n`, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        continue;
      }
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    if (holder && !isRunning(holder)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`lab is locked by process ${holder?.pid ?? '?'} (${file}); gave up after ${timeoutMs} ms`);
    }
    await sleep(25);
  }
}

function readHolder(file: string): ProcessRef | undefined {
  try {
    const [pid, startTime] = fs.readFileSync(file, 'utf8').trim().split(' ').map(Number);
    return pid && startTime !== undefined ? { pid, startTime } : undefined;
  } catch {
    return undefined;
  }
}

export async function withLabLock<T>(lab: LabConfig, fn: () => Promise<T> | T, timeoutMs = 60_000): Promise<T> {
  const file = lockFile(lab);
  await acquireFile(file, timeoutMs);
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
