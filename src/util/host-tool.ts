// Where the host's tools are: resolved once from PATH (plus the sbin directories a daemon's PATH
// may lack), so every spawn execs the file directly instead of trying each PATH entry in turn.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// sbin directories are searched too: weftd may run with a PATH that lacks them.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const found = new Map<string, string>();

/** Absolute path of a host tool; container processes get the container's PATH, never weftd's. */
export function hostTool(name: string): string {
  const cached = found.get(name);
  if (cached) return cached;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      found.set(name, candidate);
      return candidate;
    } catch {
      // try the next directory
    }
  }
  throw new Error(`${name} not found in PATH (it comes with util-linux / coreutils / iproute2)`);
}

/** The PATH handed to helper shells that run host tools before a container's root is entered. */
export function hostPath(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  return [...new Set(dirs)].join(':');
}
