// What on this machine belongs to a lab, and to which of its machines: processes (by the
// namespaces they are in, or by the flags the lab gave weftd) and leftovers on disk. This is how
// a lab is cleaned up even when machines.json is gone or wrong.
import fs from 'node:fs';
import path from 'node:path';
import {
  NAME,
  labNetnsPrefix,
  labRunDir,
  labStateDir,
  netnsOwner,
  netnsPath,
  utsFile,
  type LabConfig,
} from './naming.js';
import { labNetnsNames, nsfsInode } from './netns.js';
import { listProcesses, type ProcessInfo } from './processes.js';
import { mountsUnder } from './mounts.js';

export interface OwnedProcess extends ProcessInfo {
  /** The machine it belongs to, or 'lan' for services in the LAN namespace. */
  readonly owner: string;
  /** A weftd the lab started (it carries the lab's --netns-prefix). */
  readonly isWeftd: boolean;
}

function weftdOwner(lab: LabConfig, cmdline: readonly string[]): string | undefined {
  const i = cmdline.indexOf('--netns-prefix');
  const prefix = i >= 0 ? cmdline[i + 1] : undefined;
  return prefix && prefix.startsWith(labNetnsPrefix(lab)) ? netnsOwner(lab, prefix) : undefined;
}

/** Machine names that have a UTS file (mounted or not) in the lab's run dir. */
function utsOwners(lab: LabConfig): string[] {
  try {
    return fs
      .readdirSync(labRunDir(lab))
      .filter((f) => f.endsWith('.uts'))
      .map((f) => f.slice(0, -'.uts'.length));
  } catch {
    return [];
  }
}

/** Every live process of the lab: in one of its namespaces, or a weftd it started. */
export function labProcesses(lab: LabConfig): OwnedProcess[] {
  const byNet = new Map<number, string>();
  for (const ns of labNetnsNames(lab)) {
    const ino = nsfsInode(netnsPath(ns));
    const owner = netnsOwner(lab, ns);
    if (ino !== undefined && owner !== undefined) byNet.set(ino, owner);
  }
  const byUts = new Map<number, string>();
  for (const host of utsOwners(lab)) {
    const ino = nsfsInode(utsFile(lab, host));
    if (ino !== undefined) byUts.set(ino, host);
  }
  const out: OwnedProcess[] = [];
  for (const p of listProcesses()) {
    const weftdOf = weftdOwner(lab, p.cmdline);
    const owner =
      weftdOf ??
      (p.netIno !== undefined ? byNet.get(p.netIno) : undefined) ??
      (p.utsIno !== undefined ? byUts.get(p.utsIno) : undefined);
    if (owner !== undefined) out.push({ ...p, owner, isWeftd: weftdOf !== undefined });
  }
  return out;
}

/** Names of machines that left something behind: namespaces, processes, files or mounts. */
export function machinesWithTraces(lab: LabConfig): Set<string> {
  const owners = new Set<string>();
  for (const ns of labNetnsNames(lab)) {
    const owner = netnsOwner(lab, ns);
    if (owner) owners.add(owner);
  }
  for (const p of labProcesses(lab)) owners.add(p.owner);
  for (const host of utsOwners(lab)) owners.add(host);
  for (const dir of [path.join(labStateDir(lab), 'machines'), labRunDir(lab)]) {
    try {
      for (const entry of fs.readdirSync(dir)) owners.add(entry.replace(/\.(sock|uts)$/, ''));
    } catch {
      // no such directory: nothing left there
    }
  }
  owners.delete('lan');
  // Only names the lab could have made: these become paths that get deleted.
  return new Set([...owners].filter((o) => NAME.test(o)));
}

/** Everything of the lab still on this machine; all empty once the lab is removed. */
export interface LabResidue {
  readonly netns: string[];
  readonly processes: { pid: number; owner: string; cmdline: string }[];
  readonly mounts: string[];
  readonly paths: string[];
}

export function labResidue(lab: LabConfig): LabResidue {
  const dirs = [labStateDir(lab), labRunDir(lab)];
  return {
    netns: labNetnsNames(lab),
    processes: labProcesses(lab).map((p) => ({ pid: p.pid, owner: p.owner, cmdline: p.cmdline.join(' ') })),
    mounts: [
      ...mountsUnder(dirs),
      ...mountsUnder(['/run/netns']).filter((m) => path.basename(m).startsWith(labNetnsPrefix(lab))),
    ],
    paths: dirs.filter((p) => fs.existsSync(p)),
  };
}
