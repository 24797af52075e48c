// Pseudo-terminals for `Tty: true` containers and exec instances.
//
// How: util-linux `script` is the relay. It runs inside the container's mount namespace, opens
// the pty there, gives its child the slave as controlling terminal and stdin/stdout/stderr, and
// copies between its own stdio (pipes to weftd) and the master. The window size is set with
// `stty` on the slave: before the program starts (ConsoleSize), then through the relay's own
// slave descriptor (/proc/<relay>/fd/N) on every resize, which makes the kernel send SIGWINCH.
//
// Why `script` and not node-pty in weftd:
// - The slave must belong to the container's own devpts instance (SETUP mounts one), so that
//   inside the container `tty`, ttyname() and /dev/pts/N work. A pty opened by weftd (node-pty's
//   openpty) comes from the host's instance: the container would hold a terminal that does not
//   exist under its /dev/pts. The container's instance can only be reached from inside its mount
//   namespace, which weftd never enters (STYLE §8); Node can neither receive a master descriptor
//   over a socket (SCM_RIGHTS) nor issue the ioctls (unlockpt, TIOCGPTN) to set one up itself.
// - It needs no native module and no new dependency: util-linux (bsdutils) is already required.
// What it costs: one relay process per terminal (weftd holds pipes to it, the relay holds the
// master), and `script` turns the end of its stdin into an EOF character (^D) for the program,
// after waiting for the program to read what it was sent: what a user typing ^D does. A
// terminal without an attached stdin gets a pipe weftd never closes, so it sees no EOF at all,
// as in Docker (`docker run -dt busybox sh` keeps running).

import { readdirSync, statSync } from 'node:fs';
import { hostTool, runCommand } from './os-commands.js';

/** A terminal's window size; 0 in either leaves the size unset (Docker's ConsoleSize [0,0]). */
export interface TtySize {
  readonly rows: number;
  readonly cols: number;
}

export const NO_SIZE: TtySize = { rows: 0, cols: 0 };

/** POSIX shell single quoting: `script` runs its command with `sh -c`. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * `script` running argv on a new pty (its child is a session leader with the slave as its
 * controlling terminal), relaying the master to script's stdio and exiting with argv's code.
 * Must run where /dev/ptmx is the container's (its mount namespace; see SETUP).
 */
export function ptyRelayArgv(argv: readonly string[]): string[] {
  return [
    hostTool('script'), '--quiet', '--flush', '--return', '--echo', 'always',
    '--command', `exec ${argv.map(shellQuote).join(' ')}`, '/dev/null',
  ];
}

// UNIX98 pty slaves use majors 136–143 (Documentation/admin-guide/devices.txt).
const PTY_SLAVE_MAJORS = [136, 143] as const;

function isPtySlave(path: string): boolean {
  const st = statSync(path, { bigint: true });
  if (!st.isCharacterDevice()) return false;
  const major = Number((st.rdev >> 8n) & 0xfffn);
  return major >= PTY_SLAVE_MAJORS[0] && major <= PTY_SLAVE_MAJORS[1];
}

/** The relay's descriptor of the slave, as a path weftd can open: /proc/<pid>/fd/<n>. */
function relaySlavePath(relayPid: number): string | null {
  const dir = `/proc/${relayPid}/fd`;
  for (const fd of readdirSync(dir)) {
    try {
      if (isPtySlave(`${dir}/${fd}`)) return `${dir}/${fd}`;
    } catch {
      // closed meanwhile
    }
  }
  return null;
}

/**
 * Resizes one terminal. Resizes are applied one at a time in call order (the last one wins),
 * and only once the pty exists (`ready` resolves true; false means it never will, e.g. the
 * program exited first). A terminal that is gone by the time a resize runs is not an error:
 * the CLI resizes right after start, and a short-lived program may already have exited.
 */
export class TerminalResizer {
  private queue: Promise<void> = Promise.resolve();
  private slave: string | null = null;

  /** @param relay the relay's PID, or null once it is gone */
  constructor(private readonly relay: () => number | null, private readonly ready: Promise<boolean>) {}

  resize(size: TtySize): Promise<void> {
    const next = this.queue.then(async () => {
      if (!(await this.ready)) return;
      await this.apply(size);
    });
    this.queue = next.catch(() => {});
    return next;
  }

  private async apply(size: TtySize): Promise<void> {
    const pid = this.relay();
    if (pid === null) return;
    try {
      this.slave ??= relaySlavePath(pid);
    } catch {
      return; // the relay has exited
    }
    if (this.slave === null) return;
    try {
      await runCommand(hostTool('stty'), ['-F', this.slave, 'rows', String(size.rows), 'cols', String(size.cols)]);
    } catch (err) {
      if (this.relay() !== null && exists(this.slave)) throw err;
    }
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
