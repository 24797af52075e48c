// Exec instances (Docker's `exec create` → `exec start` → `exec inspect`): the runtime runs the
// process; this keeps what the API reports about it between those calls. An instance's exit code
// is recorded before its output ends, because the CLI inspects it as soon as the stream closes.
// A resize before start sets the size a Tty instance's terminal starts with (the API passes the
// ConsoleSize of create and start this way); a resize after its exit changes nothing, since the
// CLI's first resize races with the start.

import { randomBytes } from 'node:crypto';
import { conflict, notFound } from '../../errors.js';
import type { ExecCreateRequest, ExecView, OutputChunk, StdioSession } from '../../api/backend.js';
import type { ExecOptions } from '../../runtime/containers.js';
import type { ExecProcess } from '../../runtime/sandbox-process.js';
import { AsyncQueue } from '../../runtime/sync.js';
import type { TtySize } from '../../runtime/terminal.js';

interface ExecInstance {
  readonly id: string;
  readonly containerId: string;
  readonly request: ExecCreateRequest;
  state: 'created' | 'running' | 'exited';
  exitCode: number | null;
  pid: number;
  /** The size last asked for before the process existed: the terminal starts with it. */
  consoleSize: TtySize | null;
  proc: ExecProcess | null;
}

/** Runs an exec in its container (the runtime's ContainerManager.exec). */
export type ExecSpawner = (containerId: string, opts: ExecOptions) => Promise<ExecProcess>;

export class ExecRegistry {
  private readonly instances = new Map<string, ExecInstance>();

  constructor(private readonly spawn: ExecSpawner) {}

  create(containerId: string, request: ExecCreateRequest): string {
    const id = randomBytes(32).toString('hex');
    this.instances.set(id, { id, containerId, request, state: 'created', exitCode: null, pid: 0, consoleSize: null, proc: null });
    return id;
  }

  /** Starts the instance; detached, its output is discarded and null is returned. */
  async start(id: string, detach: boolean): Promise<{ tty: boolean; session: StdioSession } | null> {
    const e = this.get(id);
    if (e.state === 'running') throw conflict(`Error: Exec command ${id} is already running`);
    if (e.state === 'exited') throw conflict(`Error: Exec command ${id} has already run`);
    const r = e.request;
    e.state = 'running';
    const startSize = e.consoleSize;
    let proc: ExecProcess;
    try {
      proc = await this.spawn(e.containerId, {
        cmd: r.cmd,
        env: r.env,
        ...(r.user ? { user: r.user } : {}),
        ...(r.workingDir ? { workingDir: r.workingDir } : {}),
        attachStdin: !detach && r.attachStdin,
        tty: r.tty,
        ...(startSize ? { consoleSize: startSize } : {}),
      });
    } catch (err) {
      e.state = 'created';
      throw err;
    }
    e.pid = proc.hostPid;
    e.proc = proc;
    // A resize that came while the process was being started.
    if (e.consoleSize !== startSize && e.consoleSize) void proc.resize(e.consoleSize).catch(() => {});
    const output = new AsyncQueue<OutputChunk>();
    for (const stream of ['stdout', 'stderr'] as const) {
      const wanted = !detach && (stream === 'stdout' ? r.attachStdout : r.attachStderr);
      if (wanted) proc[stream].on('data', (data: Buffer) => output.push({ stream, data }));
      else proc[stream].resume();
    }
    proc.stdin?.on('error', () => {}); // the program may exit without reading its stdin
    // `exited` settles after the output pipes have closed, so every chunk is queued by then.
    void proc.exited.then((code) => {
      e.state = 'exited';
      e.exitCode = code;
      e.pid = 0;
      e.proc = null;
      output.end();
    });
    if (detach) return null;
    return {
      tty: r.tty,
      session: {
        output,
        write: (data) => proc.stdin?.write(data),
        endStdin: () => proc.stdin?.end(),
        detach: () => output.end(),
      },
    };
  }

  /** Before start: the initial size; while running: the terminal's size; after: nothing. */
  async resize(id: string, size: TtySize): Promise<void> {
    const e = this.get(id);
    if (e.proc) await e.proc.resize(size);
    else if (e.state !== 'exited') e.consoleSize = size;
  }

  get(id: string): ExecInstance {
    const e = this.instances.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  view(id: string): ExecView {
    const e = this.get(id);
    return { id: e.id, containerId: e.containerId, running: e.state === 'running', exitCode: e.exitCode, pid: e.pid, request: e.request };
  }

  /** Ids of the instances running in a container (inspect's ExecIDs). */
  runningIn(containerId: string): string[] {
    return [...this.instances.values()].filter((e) => e.containerId === containerId && e.state === 'running').map((e) => e.id);
  }

  /** Forget a removed container's instances. */
  dropContainer(containerId: string): void {
    for (const [id, e] of this.instances) if (e.containerId === containerId) this.instances.delete(id);
  }
}
