// Starting a container's process (DESIGN.md "Containers"). The process tree, every step an exec
// except the one fork that creates PID 1:
//
//   setpriv --pdeathsig KILL                  dies with weftd, so containers never outlive it
//   nsenter --net=<netns>                     (absent for --net host)
//   unshare --mount --uts --ipc               the container's mount, UTS and IPC namespaces
//   bash -c SETUP                             closes inherited fds; hostname; overlay root; /dev;
//                                             /sys; /etc files
//   unshare --pid                             children of the next program get a new PID ns
//   sh -c REAPER ──fork──►  setpriv --pdeathsig KILL        (dies with the reaper)
//     reports the child's   sh -c PID1                      mounts /proc (it is in the new PID ns)
//     PID, waits, exits     env --default-signal -i <env>
//     with its status       unshare --root=<rootfs> --wd=<dir> [--setuid --setgid]
//     (128+n if killed)     <cmd…>    ← PID 1 of the container, State.Pid
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
// - Setup diagnostics go to fd 3, never to the container's stderr; fd 3 also carries the
//   "ready <pid>" and "started" lines, and is closed before the container's program runs.
// - The container's environment is passed as `env -i` arguments, never to the helper shells
//   (a BASH_ENV or ENV variable would make them run container-chosen files on the host).

import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { hostPath, hostTool } from './os-commands.js';
import { exitCodeFor } from './signals.js';
import type { OutputStream } from './types.js';

// weftd may have inherited descriptors without close-on-exec (from whoever started it); a
// container must get only its stdio. dash cannot name descriptors above 9, so the helper
// scripts run under bash, with --norc: Debian's bash sources ~/.bashrc when its stdin is a
// socket (it takes that for rshd), and libuv's stdio pipes are socketpairs.
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
// this shell forks is one.
const PID1 = String.raw`
mount -t proc -o nosuid,nodev,noexec proc "$1/proc" || { echo "cannot mount /proc" >&3; exit 1; }
echo started >&3
exec 3>&-
shift
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
}

export interface SandboxProcess {
  /** PID 1 of the container in the machine's initial PID namespace. */
  readonly pid: number;
  readonly stdin: Writable | null;
  /** All output from the start: what came before the handler was set is delivered first. */
  onOutput(handler: (stream: OutputStream, data: Buffer) => void): void;
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
  return [
    '--pdeathsig', 'KILL', '--',
    ...(spec.netnsPath ? [hostTool('nsenter'), `--net=${spec.netnsPath}`, '--'] : []),
    unshare, '--mount', '--uts', '--ipc', '--propagation', 'private', '--',
    hostTool('bash'), '--norc', '--noprofile', '-c', SETUP, 'weft-init',
    spec.hostname, spec.domainname, spec.lowerDir, spec.upperDir, spec.workDir, spec.mountPoint,
    spec.etcFilesDir, spec.workingDir,
    unshare, '--pid', '--',
    sh, '-c', REAPER, 'weft-reaper',
    hostTool('setpriv'), '--pdeathsig', 'KILL', '--',
    sh, '-c', PID1, 'weft-pid1', spec.mountPoint,
    ...enterRootArgv(spec.mountPoint, spec.workingDir, spec.env, spec.user, spec.argv),
  ];
}

/** Starts the container's process; resolves once PID 1 exists in its final namespaces. */
export async function startSandbox(spec: SandboxSpec): Promise<SandboxProcess> {
  const child = spawn(hostTool('setpriv'), sandboxArgv(spec), {
    stdio: [spec.openStdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
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

const EXEC_WRAPPER = `${closeInheritedFds('0|1|2')}
exec "$@"`;

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
}

export interface ExecProcess {
  /** The nsenter process on the host (its child is the program, inside the PID namespace). */
  readonly hostPid: number;
  readonly stdin: Writable | null;
  /**
   * Read these (or resume them) before awaiting anything else: Node discards a child's unread
   * output when it exits.
   */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves once the program has exited and its output pipes have closed: its exit code. */
  readonly exited: Promise<number>;
  /** Signals the host-side nsenter; the program itself ends with the container at the latest. */
  kill(signal?: NodeJS.Signals): void;
}

/** Runs a program in all of a running container's namespaces, its root and working directory. */
export function spawnExec(spec: ExecSpec): ExecProcess {
  const args = [
    hostTool('setpriv'), '--pdeathsig', 'KILL', '--',
    hostTool('nsenter'), '--target', String(spec.pid), '--mount', '--uts', '--ipc', '--net', '--pid', '--',
    ...enterRootArgv(spec.mountPoint, spec.workingDir, spec.env, spec.user, spec.argv),
  ];
  const child = spawn(hostTool('bash'), ['--norc', '--noprofile', '-c', EXEC_WRAPPER, 'weft-exec', ...args], {
    stdio: [spec.openStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { PATH: hostPath() },
    detached: true,
  });
  return {
    hostPid: child.pid ?? 0,
    stdin: spec.openStdin ? child.stdin : null,
    stdout: child.stdout!,
    stderr: child.stderr!,
    exited: childExit(child),
    kill: (signal = 'SIGKILL') => {
      child.kill(signal);
    },
  };
}
