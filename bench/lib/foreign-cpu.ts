// How much CPU *other* work on this box took while a phase ran: the box is shared, and on two
// cores another build or test run moves every figure. Measured from /proc at the phase's start
// and end: the CPU time (utime + stime) of every process that is neither in the benchmark's lab
// (by namespace, as the lab's own cleanup finds them) nor a descendant of the benchmark. A rough
// lower bound: processes that start and exit inside the phase are missed (counting reaped
// children instead would book a long-lived child's whole life into the phase that reaps it),
// and kernel threads are left out (their work is often the lab's own packets).
import fs from 'node:fs';
import type { LabConfig } from '../../src/lab/index.js';
import { labProcesses } from '../../src/lab/ownership.js';

const TICKS_PER_S = 100; // CLK_TCK on Linux

interface Proc {
  readonly ppid: number;
  readonly start: number;
  readonly ticks: number;
}

function readProcs(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(f[1]);
    if (Number(e) === 2 || ppid === 2) continue; // kthreadd and kernel threads
    out.set(Number(e), { ppid, start: Number(f[19]), ticks: Number(f[11]) + Number(f[12]) });
  }
  return out;
}

export interface CpuSnapshot {
  readonly at: number;
  readonly procs: Map<number, Proc>;
  readonly mine: Set<number>;
}

export function snapshot(lab: LabConfig): CpuSnapshot {
  const procs = readProcs();
  const mine = new Set<number>(labProcesses(lab).map((p) => p.pid));
  mine.add(process.pid);
  for (const [pid] of procs) {
    // Descendants of the benchmark (docker CLIs, nsenter'd tools) are its own work.
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
      if (p === process.pid || mine.has(p)) {
        mine.add(pid);
        break;
      }
      p = procs.get(p)?.ppid;
    }
  }
  return { at: Date.now(), procs, mine };
}

/** Other work's CPU between two snapshots, in cores (1.0 = one core busy all the time). */
export function foreignCores(a: CpuSnapshot, b: CpuSnapshot): number {
  let ticks = 0;
  for (const [pid, p] of b.procs) {
    if (b.mine.has(pid) || a.mine.has(pid)) continue;
    const before = a.procs.get(pid);
    ticks += before && before.start === p.start ? p.ticks - before.ticks : p.ticks;
  }
  const seconds = (b.at - a.at) / 1000;
  return seconds > 0 ? ticks / TICKS_PER_S / seconds : 0;
}
