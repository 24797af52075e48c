// Processes of a lab, found through /proc (what `ip netns pids` does, without a process per
// namespace) and stopped by PID. A PID is only trusted together with its start time, so a
// recorded PID that the kernel has since reused for something else is never signalled.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessRef {
  readonly pid: number;
  /** Clock ticks since boot (/proc/<pid>/stat field 22): with the PID, names one process. */
  readonly startTime: number;
}

export interface ProcessInfo extends ProcessRef {
  readonly ppid: number;
  /** Inode of the process's network / UTS namespace (undefined if unreadable). */
  readonly netIno: number | undefined;
  readonly utsIno: number | undefined;
  readonly cmdline: readonly string[];
}

interface Stat {
  readonly state: string;
  readonly ppid: number;
  readonly startTime: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: the fields proper start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0] ?? '';
  return { state, ppid: Number(fields[1]), startTime: Number(fields[19]) };
}

/** Zombies count as gone: they hold no namespace and run nothing; their parent reaps them. */
const isDead = (stat: Stat | undefined) => stat === undefined || stat.state === 'Z' || stat.state === 'X';

export function processRef(pid: number): ProcessRef | undefined {
  const stat = readStat(pid);
  return isDead(stat) ? undefined : { pid, startTime: stat!.startTime };
}

export function isRunning(ref: ProcessRef): boolean {
  const stat = readStat(ref.pid);
  return !isDead(stat) && stat!.startTime === ref.startTime;
}

function nsInode(pid: number, kind: 'net' | 'uts'): number | undefined {
  try {
    const link = fs.readlinkSync(`/proc/${pid}/ns/${kind}`); // e.g. "net:[4026532177]"
    const m = /\[(\d+)\]/.exec(link);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function readCmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '');
  } catch {
    return [];
  }
}

/** Every live process but this one and its ancestors (a lab command may run inside a lab). */
export function listProcesses(): ProcessInfo[] {
  const spared = new Set<number>();
  for (let pid = process.pid; pid > 1 && !spared.has(pid); ) {
    spared.add(pid);
    pid = readStat(pid)?.ppid ?? 0;
  }
  const out: ProcessInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (spared.has(pid)) continue;
    const stat = readStat(pid);
    if (isDead(stat)) continue;
    out.push({
      pid,
      startTime: stat!.startTime,
      ppid: stat!.ppid,
      netIno: nsInode(pid, 'net'),
      utsIno: nsInode(pid, 'uts'),
      cmdline: readCmdline(pid),
    });
  }
  return out;
}

function signal(ref: ProcessRef, sig: NodeJS.Signals): void {
  if (!isRunning(ref)) return;
  try {
    process.kill(ref.pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Wait until every process is gone or the time is up; returns those still running. */
export async function waitForExit(refs: readonly ProcessRef[], timeoutMs: number): Promise<ProcessRef[]> {
  const deadline = Date.now() + timeoutMs;
  let left = refs.filter(isRunning);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(20);
    left = left.filter(isRunning);
  }
  return left;
}

/**
 * SIGTERM, then SIGKILL for whatever still runs after `graceMs` (0: SIGKILL at once).
 * Returns the processes that survived even SIGKILL (e.g. stuck in the kernel).
 */
export async function stopProcesses(refs: readonly ProcessRef[], graceMs: number): Promise<ProcessRef[]> {
  let left = refs.filter(isRunning);
  if (graceMs > 0) {
    for (const ref of left) signal(ref, 'SIGTERM');
    left = await waitForExit(left, graceMs);
  }
  for (const ref of left) signal(ref, 'SIGKILL');
  return waitForExit(left, 5000);
}
