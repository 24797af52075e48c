// Removing machines and labs: everything they made, whether weftd is alive, dead or was never
// recorded. Safe to repeat; every step works from what is actually on the machine (/proc,
// /run/netns, mountinfo), not from what machines.json says should be there.
import fs from 'node:fs';
import path from 'node:path';
import { notFound } from '../errors.js';
import { removeTree, unmountUnder } from './mounts.js';
import {
  checkMachineName,
  labRunDir,
  labStateDir,
  machineExecRoot,
  machineNetns,
  machineStateDir,
  netnsOwner,
  socketPath,
  utsFile,
  type LabConfig,
} from './naming.js';
import { deleteNetns, labNetnsNames } from './netns.js';
import { labProcesses, machinesWithTraces } from './ownership.js';
import { stopProcesses, type ProcessRef } from './processes.js';
import { readState, recordedProcesses, removeRecord, withLabLock, type LabState } from './state.js';

/**
 * Stop every process of the given machines ('lan' for the LAN's): their weftds first with
 * SIGTERM (time to stop their containers), then whatever is left with SIGKILL. Scans again after
 * each round, since a dying process may have forked.
 */
async function stopMachineProcesses(lab: LabConfig, hosts: ReadonlySet<string>, recorded: readonly ProcessRef[]): Promise<void> {
  const mine = () => labProcesses(lab).filter((p) => hosts.has(p.owner));
  await stopProcesses([...recorded, ...mine().filter((p) => p.isWeftd)], lab.stopTimeoutMs);
  for (let round = 0; round < 5; round++) {
    const left = mine();
    if (left.length === 0) return;
    await stopProcesses(left, 0);
  }
  const left = mine();
  if (left.length > 0) throw new Error(`lab "${lab.name}": processes would not die: ${left.map((p) => p.pid).join(', ')}`);
}

/** Mounts, namespaces and files of machines whose processes are gone. */
async function removeMachineTraces(lab: LabConfig, hosts: readonly string[]): Promise<void> {
  await unmountUnder(hosts.flatMap((h) => [machineStateDir(lab, h), machineExecRoot(lab, h), utsFile(lab, h)]));
  const owned = new Set(hosts);
  const own = new Set(hosts.map((h) => machineNetns(lab, h)));
  const netns = labNetnsNames(lab).filter((ns) => owned.has(netnsOwner(lab, ns) ?? ''));
  // What weftd made (containers, overlay sandboxes: <lab>-<host>-…), then the machine itself.
  await deleteNetns(netns.filter((ns) => !own.has(ns)));
  await deleteNetns(netns.filter((ns) => own.has(ns)));
  for (const h of hosts) {
    fs.rmSync(utsFile(lab, h), { force: true });
    fs.rmSync(socketPath(lab, h), { force: true });
    await removeTree(machineExecRoot(lab, h));
    await removeTree(machineStateDir(lab, h));
  }
}

/** Remove every trace of these machines from this box (their records stay). */
export async function cleanMachines(lab: LabConfig, hosts: readonly string[], recorded: readonly ProcessRef[] = []): Promise<void> {
  if (hosts.length === 0) return;
  await stopMachineProcesses(lab, new Set(hosts), recorded);
  await removeMachineTraces(lab, hosts);
}

/** The lab has no machine left: its LAN (and anything running there) and its directories go. */
async function teardownLab(lab: LabConfig): Promise<void> {
  const leftovers = [...machinesWithTraces(lab)];
  await stopMachineProcesses(lab, new Set([...leftovers, 'lan']), []);
  await removeMachineTraces(lab, leftovers);
  await deleteNetns(labNetnsNames(lab));
  await removeTree(labStateDir(lab));
  await removeTree(labRunDir(lab));
}

/** /run/weft and /var/lib/weft/labs (and /var/lib/weft) go too once nothing else uses them. */
function removeEmptyRoots(lab: LabConfig): void {
  for (const root of [lab.runRoot, lab.stateRoot, path.dirname(lab.stateRoot)]) {
    try {
      fs.rmdirSync(root);
    } catch {
      // not empty (another lab, another weftd) or already gone
    }
  }
}

/**
 * Clean up machines that left traces but have no record (a killed earlier run, a forgotten
 * machines.json). Call with the lab locked, so that no create is half-way.
 */
export async function removeStrays(lab: LabConfig, state: LabState | undefined): Promise<void> {
  const strays = [...machinesWithTraces(lab)].filter((h) => !state?.machines[h]);
  if (strays.length === 0) return;
  lab.log(`Removing leftovers of ${strays.map((h) => `"${h}"`).join(', ')} in lab "${lab.name}" (not in machines.json)`);
  await cleanMachines(lab, strays);
}

/**
 * `weft machine rm`: remove these machines; with the last one, the lab's LAN and directories.
 * A name with no record but with traces on this box is cleaned up too.
 */
export async function removeMachines(lab: LabConfig, names: readonly string[]): Promise<void> {
  for (const n of names) checkMachineName(lab, n);
  const state = readState(lab);
  const traces = machinesWithTraces(lab);
  const missing = names.filter((n) => !state?.machines[n] && !traces.has(n));
  if (missing.length > 0) throw notFound(`Host does not exist: ${missing.map((n) => `"${n}"`).join(', ')}`);
  await cleanMachines(lab, names, names.flatMap((n) => recordedProcesses(state?.machines[n])));
  await withLabLock(lab, async () => {
    let next = readState(lab);
    for (const n of names) next = removeRecord(lab, n);
    for (const n of names) lab.log(`Removed machine "${n}"`);
    if (!next || Object.keys(next.machines).length === 0) {
      await teardownLab(lab);
      lab.log(`Removed lab "${lab.name}": its last machine is gone`);
    }
  });
  removeEmptyRoots(lab);
}

/** `weft lab rm` / `weft machine rm --all`: everything of the lab, recorded or left over. */
export async function removeLab(lab: LabConfig): Promise<void> {
  await withLabLock(lab, async () => {
    const state = readState(lab);
    const hosts = new Set([...Object.keys(state?.machines ?? {}), ...machinesWithTraces(lab)]);
    await cleanMachines(lab, [...hosts], Object.values(state?.machines ?? {}).flatMap(recordedProcesses));
    await teardownLab(lab);
  });
  removeEmptyRoots(lab);
  lab.log(`Removed lab "${lab.name}"`);
}
