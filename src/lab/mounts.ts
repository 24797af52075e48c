// Mounts under a lab's directories (container root filesystems, UTS namespace files, whatever a
// weftd left): found in /proc/self/mountinfo and unmounted deepest first, lazily as a last resort.
import fs from 'node:fs';
import path from 'node:path';
import { run } from './run.js';

/** mountinfo escapes space, tab, newline and backslash as octal (\040 …). */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

export function mountPoints(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => unescape(line.split(' ')[4] ?? ''));
}

const isUnder = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** Mount points at or below any of `targets` (a target may be a directory or a file). */
export function mountsUnder(targets: readonly string[]): string[] {
  const roots = targets.map((t) => path.resolve(t));
  return mountPoints().filter((m) => roots.some((r) => isUnder(m, r)));
}

const depth = (p: string) => p.split('/').length;

/**
 * Unmount everything at or below `targets`. Mounts may be stacked on one point, so this loops
 * until nothing is left; a pass that makes no progress switches to lazy unmounts, which detach at
 * once even if something is busy. Throws if mounts remain after that.
 */
export async function unmountUnder(targets: readonly string[]): Promise<void> {
  let lazy = false;
  let previous = Infinity;
  for (let pass = 0; pass < 32; pass++) {
    const mounts = mountsUnder(targets).sort((a, b) => depth(b) - depth(a));
    if (mounts.length === 0) return;
    if (mounts.length >= previous) lazy = true;
    previous = mounts.length;
    for (const m of mounts) {
      await run(['umount', ...(lazy ? ['-l'] : []), m]).catch(() => undefined);
    }
  }
  const left = mountsUnder(targets);
  if (left.length > 0) throw new Error(`could not unmount: ${left.join(', ')}`);
}

/**
 * Delete a directory tree, but never through a mount point: a recursive delete would descend into
 * whatever is mounted there (an image, a bind mount of something outside the lab).
 */
export async function removeTree(dir: string): Promise<void> {
  await unmountUnder([dir]);
  await fs.promises.rm(dir, { recursive: true, force: true });
}
