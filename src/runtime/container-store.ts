// Where containers live on disk:
//   <dataRoot>/containers/<id>/config.v2.json     the record (written atomically on every change)
//   <dataRoot>/containers/<id>/<id>-json.log      logs (Docker's json-file format)
//   <dataRoot>/containers/<id>/hosts|hostname|resolv.conf   bound into the container's /etc
//   <dataRoot>/containers/<id>/fs/upper|work      the overlay's writable layer
//   <execRoot>/<id>/rootfs                        the (empty, host-side) mount point of the root

import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonIfExists, writeFileAtomic } from './fs-util.js';
import type { ContainerRecord } from './types.js';

interface StoredContainer {
  readonly version: 1;
  readonly record: ContainerRecord;
  /** /proc/<pid>/stat start time of PID 1, to recognise it (not a reused PID) after a restart. */
  readonly pidStartTicks: string | null;
}

export interface ContainerPaths {
  readonly dir: string;
  readonly recordFile: string;
  readonly logFile: string;
  readonly hostsFile: string;
  readonly hostnameFile: string;
  readonly resolvConfFile: string;
  readonly upperDir: string;
  readonly workDir: string;
  readonly runDir: string;
  readonly mountPoint: string;
}

export class ContainerStore {
  readonly containersDir: string;

  constructor(dataRoot: string, private readonly execRoot: string) {
    this.containersDir = join(dataRoot, 'containers');
  }

  paths(id: string): ContainerPaths {
    const dir = join(this.containersDir, id);
    const runDir = join(this.execRoot, id);
    return {
      dir,
      recordFile: join(dir, 'config.v2.json'),
      logFile: join(dir, `${id}-json.log`),
      hostsFile: join(dir, 'hosts'),
      hostnameFile: join(dir, 'hostname'),
      resolvConfFile: join(dir, 'resolv.conf'),
      upperDir: join(dir, 'fs', 'upper'),
      workDir: join(dir, 'fs', 'work'),
      runDir,
      mountPoint: join(runDir, 'rootfs'),
    };
  }

  async init(): Promise<void> {
    await mkdir(this.containersDir, { recursive: true });
    await mkdir(this.execRoot, { recursive: true });
  }

  async create(record: ContainerRecord): Promise<void> {
    const p = this.paths(record.id);
    await mkdir(p.upperDir, { recursive: true });
    await mkdir(p.workDir, { recursive: true });
    await this.save(record, null);
  }

  async save(record: ContainerRecord, pidStartTicks: string | null): Promise<void> {
    const stored: StoredContainer = { version: 1, record, pidStartTicks };
    await writeFileAtomic(this.paths(record.id).recordFile, JSON.stringify(stored, null, 2));
  }

  async loadAll(): Promise<Array<{ record: ContainerRecord; pidStartTicks: string | null }>> {
    const result: Array<{ record: ContainerRecord; pidStartTicks: string | null }> = [];
    for (const id of await readdir(this.containersDir)) {
      const stored = await readJsonIfExists<StoredContainer>(this.paths(id).recordFile, (p) => readFile(p, 'utf8'));
      if (stored?.version === 1 && stored.record.id === id) result.push({ record: stored.record, pidStartTicks: stored.pidStartTicks });
    }
    return result;
  }

  async delete(id: string): Promise<void> {
    const p = this.paths(id);
    await rm(p.runDir, { recursive: true, force: true });
    await rm(p.dir, { recursive: true, force: true });
  }

  async prepareRun(id: string): Promise<void> {
    const p = this.paths(id);
    await mkdir(p.mountPoint, { recursive: true });
    // overlayfs wants an empty work directory; a crash may have left one behind.
    await rm(p.workDir, { recursive: true, force: true });
    await mkdir(p.workDir, { recursive: true });
  }

  async cleanupRun(id: string): Promise<void> {
    await rm(this.paths(id).runDir, { recursive: true, force: true });
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), or null if the process is gone. */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); a zombie is as good as gone.
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
