// Shared set-up for the runtime's privileged tests: a unique data dir and namespace prefix per
// run, and a cleanup that removes everything (processes by PID, namespaces by prefix, mounts)
// even when a test failed.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxTarball, importBusybox } from '../../src/runtime/busybox.js';
import { ContainerManager } from '../../src/runtime/containers.js';
import { ImageStore } from '../../src/runtime/images.js';
import { LoopbackNetworking } from '../../src/runtime/loopback-networking.js';
import type { ContainerNetworking } from '../../src/runtime/networking.js';
import type { RuntimeLogger } from '../../src/runtime/types.js';

export const quietLogger: RuntimeLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface RuntimeFixture {
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly prefix: string;
  readonly tarball: string;
  readonly images: ImageStore;
  readonly networking: LoopbackNetworking;
  manager: ContainerManager;
  /** Every PID 1 seen, so cleanup can make sure none survives. */
  readonly pids: Set<number>;
  newManager(networking?: ContainerNetworking): Promise<ContainerManager>;
  cleanup(): Promise<void>;
}

export async function makeFixture(): Promise<RuntimeFixture> {
  const dataRoot = mkdtempSync(join(tmpdir(), 'weft-rt-'));
  const execRoot = join(dataRoot, 'exec');
  const prefix = `wt${randomBytes(2).toString('hex')}-`;
  const images = new ImageStore(dataRoot);
  await images.init();
  const tarball = await buildBusyboxTarball(join(dataRoot, 'busybox.tar'));
  await importBusybox(images, tarball);
  const networking = new LoopbackNetworking(prefix);
  const pids = new Set<number>();
  const managers: ContainerManager[] = [];
  const newManager = async (net: ContainerNetworking = networking) => {
    const m = new ContainerManager({ dataRoot, execRoot, images, networking: net, logger: quietLogger });
    m.events.on('container', (e) => {
      if (e.action === 'start') {
        try {
          pids.add(m.get(e.id).state.pid);
        } catch {
          // removed meanwhile
        }
      }
    });
    await m.init();
    managers.push(m);
    return m;
  };
  const fixture: RuntimeFixture = {
    dataRoot, execRoot, prefix, tarball, images, networking, pids, newManager,
    manager: await newManager(),
    async cleanup() {
      for (const m of managers) {
        for (const c of m.list({ all: true })) {
          await withTimeout(m.remove(c.id, { force: true }).catch(() => {}), 5000);
        }
      }
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
      }
      for (const name of netnsWithPrefix(prefix)) {
        execFileSync('ip', ['netns', 'delete', name]);
      }
      for (const mount of mountsUnder(dataRoot).reverse()) {
        execFileSync('umount', ['-l', mount]);
      }
      await rm(dataRoot, { recursive: true, force: true });
    },
  };
  return fixture;
}

export function netnsWithPrefix(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(prefix));
}

/** Mount points under a directory, as the machine's mount table (this process's) shows them. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)));
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until the condition holds (for effects with no event to wait on, e.g. a reaped PID). */
export async function eventually(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

export function text(chunks: ReadonlyArray<{ data: Buffer }>): string {
  return Buffer.concat(chunks.map((c) => c.data)).toString('utf8');
}
