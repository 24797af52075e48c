// Looking at a container's root filesystem from weftd, before (or without) entering it: the view
// is a stack of directories (overlay upper first, then the image), symlinks are resolved inside
// that root, never on the host. Used to report Docker's errors at `start` (unknown command, unknown
// user) instead of from inside a half-started container.

import type { Stats } from 'node:fs';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { invalid } from '../errors.js';
import { isErrno } from './fs-util.js';

const MAX_SYMLINKS = 40;

interface Found {
  readonly hostPath: string;
  readonly stats: Stats;
}

/** lstat in the first layer that has the entry; an overlay whiteout (0:0 char device) hides it. */
async function lstatLayers(layers: readonly string[], path: string): Promise<Found | null> {
  for (const layer of layers) {
    const hostPath = posix.join(layer, path);
    try {
      const stats = await lstat(hostPath);
      if (stats.isCharacterDevice() && stats.rdev === 0) return null;
      return { hostPath, stats };
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) continue;
      throw err;
    }
  }
  return null;
}

/** Resolves an absolute in-container path, following symlinks relative to the container root. */
export async function resolveInRoot(layers: readonly string[], path: string): Promise<Found | null> {
  let pending = posix.normalize(path).split('/').filter(Boolean);
  let resolved: string[] = [];
  let links = 0;
  let last: Found | null = await lstatLayers(layers, '/');
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      last = null;
      continue;
    }
    const candidate = `/${[...resolved, part].join('/')}`;
    const found = await lstatLayers(layers, candidate);
    if (!found) return null;
    if (found.stats.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) return null;
      const target = await readlink(found.hostPath);
      const targetParts = target.split('/').filter(Boolean);
      if (target.startsWith('/')) resolved = [];
      pending = [...targetParts, ...pending];
      last = null;
      continue;
    }
    if (pending.length > 0 && !found.stats.isDirectory()) return null;
    resolved.push(part);
    last = found;
  }
  return last ?? lstatLayers(layers, `/${resolved.join('/')}`);
}

export async function readFileInRoot(layers: readonly string[], path: string): Promise<string | null> {
  const found = await resolveInRoot(layers, path);
  if (!found || !found.stats.isFile()) return null;
  return readFile(found.hostPath, 'utf8');
}

/**
 * Finds the program the way execvp will inside the container; throws Docker's start errors
 * ("executable file not found in $PATH") so the CLI can exit 127 / 126 as it does with Docker.
 */
export async function checkExecutable(layers: readonly string[], program: string, pathEnv: string, cwd: string): Promise<void> {
  const candidates = program.includes('/')
    ? [posix.resolve(cwd || '/', program)]
    : pathEnv.split(':').map((dir) => posix.resolve(cwd || '/', dir || '.', program));
  let sawNonExecutable = false;
  for (const candidate of candidates) {
    const found = await resolveInRoot(layers, candidate);
    if (!found || !found.stats.isFile()) continue;
    if ((found.stats.mode & 0o111) !== 0) return;
    sawNonExecutable = true;
  }
  const prefix = 'failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process:';
  if (sawNonExecutable) throw invalid(`${prefix} exec: "${program}": permission denied: unknown`);
  if (program.includes('/')) {
    throw invalid(`${prefix} exec: "${program}": stat ${program}: no such file or directory: unknown`);
  }
  throw invalid(`${prefix} exec: "${program}": executable file not found in $PATH: unknown`);
}

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/**
 * Docker's `User` (`name`, `uid`, `name:group`, `uid:gid`), looked up in the container's
 * /etc/passwd and /etc/group. An empty user is root.
 */
export async function resolveUser(layers: readonly string[], user: string): Promise<ResolvedUser> {
  const [userPart, groupPart] = user === '' ? ['0', undefined] : user.split(':', 2);
  const passwd = parseColonFile(await readFileInRoot(layers, '/etc/passwd'));
  const byUser = /^\d+$/.test(userPart)
    ? passwd.find((f) => f[2] === userPart)
    : passwd.find((f) => f[0] === userPart);
  if (!byUser && !/^\d+$/.test(userPart)) {
    throw invalid(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  const uid = byUser ? Number(byUser[2]) : Number(userPart);
  let gid = byUser ? Number(byUser[3]) : 0;
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) {
      gid = Number(groupPart);
    } else {
      const group = parseColonFile(await readFileInRoot(layers, '/etc/group')).find((f) => f[0] === groupPart);
      if (!group) throw invalid(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(group[2]);
    }
  }
  return { uid, gid, home: byUser?.[5] || '/' };
}

function parseColonFile(text: string | null): string[][] {
  if (!text) return [];
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
}
