import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes a file so that readers (and a crash) see either the old or the new content. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function readJsonIfExists<T>(path: string, read: (p: string) => Promise<string>): Promise<T | undefined> {
  try {
    return JSON.parse(await read(path)) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Sum of the sizes of the regular files and symlinks under a directory (Docker's image Size). */
export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile() || entry.isSymbolicLink()) total += (await lstat(full)).size;
    }
  }
  return total;
}

/** Paths are passed to overlayfs mount options, where these characters are separators. */
export function assertMountSafePath(path: string): void {
  if (/[,:\\\n]/.test(path)) {
    throw new Error(`path ${JSON.stringify(path)} cannot be used in an overlay mount (contains , : or \\)`);
  }
}

export const isErrno = (err: unknown, ...codes: string[]): boolean =>
  err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '');
