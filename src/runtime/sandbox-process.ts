// Starting a container's process (DESIGN.md "Containers"). The process tree, every step an exec
// except the one fork that creates PID 1:
//
//   setpriv --pdeathsig KILL                  dies with weftd, so containers never outlive it
//   nsenter --net=<netns>                     (absent for --net host)
//   unshare --mount --uts --ipc               the container's mount, UTS and IPC namespaces
//   busybox sh -c SETUP                       closes inherited fds; hostname; overlay root; /dev;
//                                             /sys; /etc files
//   [script … setpriv --pdeathsig KILL]       Tty only: the pty relay (terminal.ts); its child
//                                             has the slave as stdio and controlling terminal
//   unshare --pid                             children of the next program get a new PID ns
//   sh -c REAPER ──fork──►  setpriv --pdeathsig KILL        (dies with the reaper)
//     reports the child's   busybox sh -c PID1              mounts /proc (it is in the new PID ns);
//     PID, waits, exits                                     Tty: sets the window size
//     with its status       [setsid --ctty]                 Tty: a session of its own, on the pty
//     (128+n if killed)     env --default-signal -i <env>
//                           unshare --root=<rootfs> --wd=<dir> [--setuid --setgid]
//                           <cmd…>    ← PID 1 of the container, State.Pid
//
// Why this shape:
// - Every mount is made inside the container's mount namespace, so the machine's mount table
//   never sees them, and they vanish with the container's last process, even if weftd is
//   killed. Nothing has to be unmounted at stop or remove.
// - There is one mount namespace per container, entered by `exec` (nsenter -t <pid> --mount),
//   which then chroots to the rootfs path itself: PID 1's own root changes only at its last exec.
// - `unshare --fork` (util-linux 2.38) cannot report a SIGKILLed child: it fails with
//   "sigprocmask unblock failed" and exit 1 on the container's stderr. The reaper shell reports
//   128+signal, Docker's convention (137 for SIGKILL).
// - The hostname is written to /proc/sys/kernel/hostname inside the new UTS namespace; `exec`
//   joins that namespace through PID 1, so no namespace file is kept.
// - sh starts background commands with SIGINT and SIGQUIT ignored, and an ignored signal cannot
//   be trapped later; `env --default-signal` gives the container default dispositions.
// - With a Tty, the relay's child (the reaper) holds the pty as its controlling terminal; PID 1
//   takes it over (setsid --ctty steals it, as root may), so the terminal's signals (^C, ^Z,
//   SIGWINCH, hang-up) reach the container's programs and never the reaper, and a shell as PID 1
//   gets job control. The relay sits outside the PID namespace, so the program is still PID 1.
// - Setup diagnostics go to fd 3, never to the container's stderr; fd 3 also carries the
//   "ready <pid>" and "started" lines, and is closed before the container's program runs.
// - The container's environment is passed as `env -i` arguments, never to the helper shells
//   (a BASH_ENV or ENV variable would make them run container-chosen files on the host).

import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { hostPath, hostTool } from './os-commands.js';
import { exitCodeFor } from './signals.js';
import { NO_SIZE, TerminalResizer, ptyRelayArgv, type TtySize } from './terminal.js';
import type { OutputStream } from './types.js';

// weftd may have inherited descriptors without close-on-exec (from whoever started it); a
// container must get only its stdio. dash cannot name descriptors above 9; busybox's ash can.
// The set-up scripts run under busybox-static's ash: its mkdir, ln and rm run inside the shell
// and its mount is the same static binary forked, so the ~20 steps of a container's root
// filesystem cost ~10 ms instead of ~40 ms of util-linux execs. (exec's wrapper stays bash,
// with --norc: Debian's bash sources ~/.bashrc when its stdin is a socket, as libuv's are.)
const closeInheritedFds = (keep: string) => [
  'for f in /proc/$$/fd/*; do',
  '  n=${f##*/}',
  `  case $n in ${keep}) ;; *) eval "exec $n>&-" ;; esac`,
  'done',
].join('\n');

const SETUP = String.raw`
exec 4>&2 2>&3
${closeInheritedFds('0|1|2|3|4')}
fail() { echo "$*" >&3; exit 1; }
printf %s "$1" > /proc/sys/kernel/hostname || fail "cannot set the hostname"
if [ -n "$2" ]; then printf %s "$2" > /proc/sys/kernel/domainname || fail "cannot set the domain name"; fi
R=$6 E=$7 W=$8
mount -t overlay overlay -o "lowerdir=$3,upperdir=$4,workdir=$5" "$R" || fail "cannot mount the root filesystem"
for d in dev proc sys etc; do
  if [ -L "$R/$d" ]; then fail "/$d is a symbolic link in the image"; fi
  [ -d "$R/$d" ] || mkdir "$R/$d" || fail "cannot create /$d"
done
mount -t tmpfs -o nosuid,mode=755,size=65536k tmpfs "$R/dev" || fail "cannot mount /dev"
for d in null zero full random urandom tty; do
  : > "$R/dev/$d" && mount --bind "/dev/$d" "$R/dev/$d" || fail "cannot bind /dev/$d"
done
mkdir "$R/dev/pts" "$R/dev/shm" || fail "cannot create /dev/pts and /dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$R/dev/pts" || fail "cannot mount /dev/pts"
# Seen from outside the container root but inside its mount namespace (where the pty relay of a
# Tty container or exec runs), /dev/pts and /dev/ptmx are the container's instance too: its
# terminals are then /dev/pts/N inside the container.
mount --bind "$R/dev/pts" /dev/pts && mount --bind "$R/dev/pts/ptmx" /dev/ptmx || fail "cannot bind /dev/pts"
mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=65536k shm "$R/dev/shm" || fail "cannot mount /dev/shm"
ln -s pts/ptmx "$R/dev/ptmx" && ln -s /proc/self/fd "$R/dev/fd" && ln -s /proc/self/fd/0 "$R/dev/stdin" &&
  ln -s /proc/self/fd/1 "$R/dev/stdout" && ln -s /proc/self/fd/2 "$R/dev/stderr" || fail "cannot populate /dev"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys" 2>/dev/null || :
for f in hosts hostname resolv.conf; do
  t="$R/etc/$f"
  if [ -L "$t" ]; then rm -f "$t" || fail "cannot replace /etc/$f"; fi
  [ -e "$t" ] || : > "$t" || fail "cannot create /etc/$f"
  mount --bind "$E/$f" "$t" || fail "cannot bind /etc/$f"
done
p=$R
set -f; IFS=/
for c in $W; do
  [ -n "$c" ] || continue
  [ "$c" != .. ] || fail "invalid working directory"
  p="$p/$c"
  if [ -L "$p" ]; then break; fi
  [ -d "$p" ] || mkdir "$p" || fail "cannot create the working directory $W"
done
unset IFS; set +f
shift 8
exec 2>&4 4>&-
exec "$@"
`;

// Without job control, sh gives a background command /dev/null as stdin; fd 5 keeps the real one.
const REAPER = String.raw`
exec 5<&0
"$@" <&5 5<&- &
echo "ready $!" >&3
exec 3>&- 5<&-
wait $!
`;

// PID 1 before it becomes the container's program. /proc must be mounted by a member of the new
// PID namespace (proc shows the namespace of the process that mounts it); the mount command
// this shell forks is one. $2 $3: the terminal's rows and columns (0 0: leave them), on stdin,
// which then is the pty: set before the program starts, so it sees its ConsoleSize at once.
const PID1 = String.raw`
mount -t proc -o nosuid,nodev,noexec proc "$1/proc" || { echo "cannot mount /proc" >&3; exit 1; }
if [ "$2" != 0 ] && [ "$3" != 0 ]; then
  stty rows "$2" cols "$3" || { echo "cannot set the terminal size" >&3; exit 1; }
fi
echo started >&3
exec 3>&-
shift 3
exec "$@"
`;

export interface SandboxSpec {
  /** null = weftd's own network namespace (`--net host`). */
  readonly netnsPath: string | null;
  readonly hostname: string;
  readonly domainname: string;
  /** The image's root filesystem (read-only). */
  readonly lowerDir: string;
  readonly upperDir: string;
  readonly workDir: string;
  /** An empty directory the root is mounted on (inside the container's mount namespace only). */
  readonly mountPoint: string;
  /** Directory holding the `hosts`, `hostname` and `resolv.conf` files bound into /etc. */
  readonly etcFilesDir: string;
  /** Absolute, normalised. */
  readonly workingDir: string;
  readonly env: readonly string[];
  readonly user: { readonly uid: number; readonly gid: number } | null;
  /** Program and arguments. */
  readonly argv: readonly string[];
  readonly openStdin: boolean;
  /** A pseudo-terminal of this size (Config.Tty; stderr merged into it), or null for pipes. */
  readonly tty: TtySize | null;
}

export interface SandboxProcess {
  /** PID 1 of the container in the machine's initial PID namespace. */
  readonly pid: number;
  readonly stdin: Writable | null;
  /** All output from the start: what came before the handler was set is delivered first. */
  onOutput(handler: (stream: OutputStream, data: Buffer) => void): void;
  /** Sets the terminal's window size; nothing without a Tty or once the process is gone. */
  resize(size: TtySize): Promise<void>;
  /** Resolves once the process has exited and its output is drained: Docker's exit code. */
  readonly exited: Promise<number>;
  /** Kills the whole container (SIGKILL to PID 1); used to undo a start that failed later. */
  kill(): void;
}

export class SandboxStartError extends Error {
  /** @param fromExitCode true when the setup said nothing, only exited */
  constructor(message: string, readonly fromExitCode = false) {
    super(message);
    this.name = 'SandboxStartError';
  }
}

const READY_TIMEOUT_MS = 30_000;

function userArgs(user: SandboxSpec['user']): string[] {
  return user ? ['--setgid', String(user.gid), '--setuid', String(user.uid)] : [];
}

/** `env -i … unshare --root …`: the last steps, shared by the container's PID 1 and exec. */
function enterRootArgv(mountPoint: string, workingDir: string, env: readonly string[],
  user: SandboxSpec['user'], argv: readonly string[]): string[] {
  return [
    hostTool('env'), '--default-signal', '-i', '--', ...env.filter((e) => e.indexOf('=') > 0),
    hostTool('unshare'), `--root=${mountPoint}`, `--wd=${workingDir}`, ...userArgs(user), '--',
    ...argv,
  ];
}

export function sandboxArgv(spec: SandboxSpec): string[] {
  const unshare = hostTool('unshare');
  const sh = hostTool('sh');
  const setpriv = hostTool('setpriv');
  const busybox = hostTool('busybox');
  const size = spec.tty ?? NO_SIZE;
  const pidNamespace = [
    unshare, '--pid', '--',
    sh, '-c', REAPER, 'weft-reaper',
    setpriv, '--pdeathsig', 'KILL', '--',
    busybox, 'sh', '-c', PID1, 'weft-pid1', spec.mountPoint, String(size.rows), String(size.cols),
    ...(spec.tty ? [hostTool('setsid'), '--ctty', '--'] : []),
    ...enterRootArgv(spec.mountPoint, spec.workingDir, spec.env, spec.user, spec.argv),
  ];
  return [
    '--pdeathsig', 'KILL', '--',
    ...(spec.netnsPath ? [hostTool('nsenter'), `--net=${spec.netnsPath}`, '--'] : []),
    unshare, '--mount', '--uts', '--ipc', '--propagation', 'private', '--',
    busybox, 'sh', '-c', SETUP, 'weft-init',
    spec.hostname, spec.domainname, spec.lowerDir, spec.upperDir, spec.workDir, spec.mountPoint,
    spec.etcFilesDir, spec.workingDir,
    // The relay's child is forked, so it needs a parent-death signal of its own.
    ...(spec.tty ? ptyRelayArgv([setpriv, '--pdeathsig', 'KILL', '--', ...pidNamespace]) : pidNamespace),
  ];
}

/** Starts the container's process; resolves once PID 1 exists in its final namespaces. */
export async function startSandbox(spec: SandboxSpec): Promise<SandboxProcess> {
  const child = spawn(hostTool('setpriv'), sandboxArgv(spec), {
    // A terminal's relay reads a pipe weftd never closes when stdin is not open: an ended stdin
    // would be an EOF character on the terminal (terminal.ts).
    stdio: [spec.openStdin || spec.tty ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
    env: { PATH: hostPath() },
    // Its own session: a Ctrl-C at weftd's terminal must not reach containers.
    detached: true,
  });
  // Read the output from the first byte: Node discards unread child output when the child exits,
  // and a short-lived container can exit before its start has been reported.
  const output = new OutputBuffer();
  child.stdout!.on('data', (b: Buffer) => output.push('stdout', b));
  child.stderr!.on('data', (b: Buffer) => output.push('stderr', b));
  const exited = childExit(child);
  let gone = false;
  void exited.then(() => (gone = true));
  let pid: number;
  try {
    pid = await readyPid(child);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    // Tools that fail before SETUP redirects stderr (nsenter with a bad namespace path, …)
    // write to the container's stderr pipe: the only place the reason is.
    const detail = output.text('stderr').trim();
    if (err instanceof SandboxStartError && err.fromExitCode && detail) {
      throw new SandboxStartError(`cannot start the container: ${detail}`);
    }
    throw err;
  }
  return {
    pid,
    stdin: spec.openStdin ? child.stdin : null,
    onOutput: (handler) => output.setHandler(handler),
    // The relay is the spawned process itself (every step before it is an exec).
    resize: terminalResize(spec.tty !== null, () => (gone ? null : child.pid ?? null), Promise.resolve(true)),
    exited,
    kill: () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

function terminalResize(tty: boolean, relay: () => number | null, ready: Promise<boolean>): (size: TtySize) => Promise<void> {
  if (!tty) return async () => {};
  const resizer = new TerminalResizer(relay, ready);
  return (size) => resizer.resize(size);
}

class OutputBuffer {
  private pending: Array<[OutputStream, Buffer]> = [];
  private handler: ((stream: OutputStream, data: Buffer) => void) | null = null;

  push(stream: OutputStream, data: Buffer): void {
    if (this.handler) this.handler(stream, data);
    else this.pending.push([stream, data]);
  }

  setHandler(handler: (stream: OutputStream, data: Buffer) => void): void {
    this.handler = handler;
    for (const [stream, data] of this.pending) handler(stream, data);
    this.pending = [];
  }

  text(stream: OutputStream): string {
    return Buffer.concat(this.pending.filter(([s]) => s === stream).map(([, d]) => d)).toString('utf8');
  }
}

function childExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(exitCodeFor(code, signal)));
  });
}

function readyPid(child: ChildProcess): Promise<number> {
  const status = child.stdio[3] as Readable;
  return new Promise((resolve, reject) => {
    let text = '';
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(
      () => settle(() => reject(new SandboxStartError('timed out setting up the container'))),
      READY_TIMEOUT_MS,
    );
    status.on('data', (b: Buffer) => {
      text += b.toString('utf8');
      const m = /^ready (\d+)$/m.exec(text);
      if (m && /^started$/m.test(text)) settle(() => resolve(Number(m[1])));
    });
    status.on('error', () => {});
    child.on('error', (err) => settle(() => reject(new SandboxStartError(`cannot start the container: ${err.message}`))));
    // 'exit', not 'close': the output pipes of a failed setup may never be read.
    child.on('exit', (code, signal) => {
      // The status pipe may still hold the diagnostics; read them before giving up.
      const fail = () => settle(() => {
        const said = text.split('\n').filter((l) => l && !/^(ready \d+|started)$/.test(l)).join('\n');
        reject(said
          ? new SandboxStartError(`cannot start the container: ${said}`)
          : new SandboxStartError(`cannot start the container: setup exited with code ${exitCodeFor(code, signal)}`, true));
      });
      if (status.readableEnded || status.destroyed) fail();
      else status.once('close', fail);
    });
  });
}

const EXEC_WRAPPER = (keep: string) => `${closeInheritedFds(keep)}
exec "$@"`;

// A Tty exec's program, started by the pty relay: the window size first (ConsoleSize), then
// "started" on fd 3, which resizes wait for (the pty exists from then on).
const EXEC_TTY = String.raw`
if [ "$1" != 0 ] && [ "$2" != 0 ]; then
  stty rows "$1" cols "$2" || { echo "cannot set the terminal size" >&2; exit 126; }
fi
echo started >&3
exec 3>&-
shift 2
exec "$@"
`;

export interface ExecSpec {
  /** PID 1 of the container to enter. */
  readonly pid: number;
  /** The container's root mount point (a path inside its mount namespace). */
  readonly mountPoint: string;
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly workingDir: string;
  readonly user: { readonly uid: number; readonly gid: number } | null;
  readonly openStdin: boolean;
  /** A pseudo-terminal of this size (stderr merged into it), or null for pipes. */
  readonly tty: TtySize | null;
}

export interface ExecProcess {
  /**
   * The nsenter process on the host (its child is the program, inside the PID namespace); with
   * a Tty, the pty relay, whose end hangs the terminal up.
   */
  readonly hostPid: number;
  readonly stdin: Writable | null;
  /**
   * Read these (or resume them) before awaiting anything else: Node discards a child's unread
   * output when it exits. With a Tty, stdout carries the terminal's output.
   */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves once the program has exited and its output pipes have closed: its exit code. */
  readonly exited: Promise<number>;
  /** Sets the terminal's window size (once the pty exists); nothing without a Tty. */
  resize(size: TtySize): Promise<void>;
  /** Signals hostPid; the program itself ends with the container at the latest. */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs a program in all of a running container's namespaces, its root and working directory.
 * With a Tty, as a container's PID 1 (see the top of this file): the relay runs in the
 * container's mount namespace only (where /dev/ptmx is the container's) and outside its PID
 * namespace, so the container's processes never see it; the program takes the terminal over
 * (setsid --ctty) from the nsenter between them, which then gets none of its signals.
 *
 *   setpriv --pdeathsig KILL → nsenter --mount → script → nsenter --uts --ipc --net --pid
 *   ──fork──► sh -c EXEC_TTY → setsid --ctty → env -i … → unshare --root … → <cmd…>
 */
export function spawnExec(spec: ExecSpec): ExecProcess {
  const nsenter = hostTool('nsenter');
  const target = ['--target', String(spec.pid)];
  const enterRoot = enterRootArgv(spec.mountPoint, spec.workingDir, spec.env, spec.user, spec.argv);
  const size = spec.tty ?? NO_SIZE;
  const args = [
    hostTool('setpriv'), '--pdeathsig', 'KILL', '--',
    ...(spec.tty
      ? [
          nsenter, ...target, '--mount', '--',
          ...ptyRelayArgv([
            nsenter, ...target, '--uts', '--ipc', '--net', '--pid', '--',
            hostTool('sh'), '-c', EXEC_TTY, 'weft-exec-tty', String(size.rows), String(size.cols),
            hostTool('setsid'), '--ctty', '--', ...enterRoot,
          ]),
        ]
      : [nsenter, ...target, '--mount', '--uts', '--ipc', '--net', '--pid', '--', ...enterRoot]),
  ];
  const child = spawn(hostTool('bash'), ['--norc', '--noprofile', '-c', EXEC_WRAPPER(spec.tty ? '0|1|2|3' : '0|1|2'), 'weft-exec', ...args], {
    // See startSandbox: a relay without an open stdin reads a pipe that never ends.
    stdio: spec.tty ? ['pipe', 'pipe', 'pipe', 'pipe'] : [spec.openStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { PATH: hostPath() },
    detached: true,
  });
  const exited = childExit(child);
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    hostPid: child.pid ?? 0,
    stdin: spec.openStdin ? child.stdin : null,
    stdout: child.stdout!,
    stderr: child.stderr!,
    exited,
    // With a Tty the spawned process is the relay (every step before it is an exec).
    resize: terminalResize(spec.tty !== null, () => (gone ? null : child.pid ?? null),
      spec.tty ? startedLine(child.stdio[3] as Readable) : Promise.resolve(false)),
    kill: (signal = 'SIGKILL') => {
      child.kill(signal);
    },
  };
}

/** True once `started` is read from a status pipe; false if it closes first. */
function startedLine(status: Readable): Promise<boolean> {
  return new Promise((resolve) => {
    let text = '';
    status.on('data', (b: Buffer) => {
      text += b.toString('utf8');
      if (/^started$/m.test(text)) resolve(true);
    });
    status.on('error', () => resolve(false));
    status.on('close', () => resolve(false));
  });
}
