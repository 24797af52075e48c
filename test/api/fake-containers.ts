// In-memory containers and images for API tests: the HTTP side of create/start/wait/attach/logs/
// exec/import is tested against these, with the runtime's StdioHub for realistic stdio. A
// "container" runs one of a few pretend programs:
//   echo ARGS…   prints ARGS and exits 0          fail N   prints "failing" to stderr, exits N
//   cat          copies stdin to stdout until EOF  sleep …  runs until stopped or killed
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { conflict, notFound, notModified } from '../../src/errors.js';
import type {
  ContainerCreateConfig, ContainersBackend, ContainerView, ExecCreateRequest, ExecView, ImageDeleteItem, ImageRecord,
  ImagesBackend, ImportOptions, LogEntry, LogsOptions, StdioSession, WaitCondition, WaitResult,
} from '../../src/api/backend.js';
import type { ContainerRecord } from '../../src/runtime/types.js';
import { StdioHub } from '../../src/runtime/stdio-hub.js';
import { AsyncQueue } from '../../src/runtime/sync.js';

export const hex = (seed: string) => createHash('sha256').update(seed).digest('hex');

interface Fake {
  record: ContainerRecord;
  readonly hub: StdioHub;
  readonly logs: LogEntry[];
  readonly nextExit: Set<(r: WaitResult) => void>;
  readonly removed: Set<(r: WaitResult) => void>;
  stdin?: PassThrough;
}

const T0 = 1_795_000_000_000_000_000n;

export class FakeContainers implements ContainersBackend {
  readonly containers = new Map<string, Fake>();
  readonly createCalls: ContainerCreateConfig[] = [];
  readonly execs = new Map<string, ExecView>();
  /** Tags `create` accepts; anything else is moby's 404 for a missing image. */
  readonly images = new Set(['busybox:latest']);
  private seq = 0;

  private find(ref: string): Fake {
    const f = this.containers.get(ref)
      ?? [...this.containers.values()].find((c) => c.record.name === ref.replace(/^\//, ''))
      ?? [...this.containers.values()].find((c) => c.record.id.startsWith(ref));
    if (!f) throw notFound(`No such container: ${ref}`);
    return f;
  }

  private setState(f: Fake, patch: Partial<ContainerRecord['state']>): void {
    f.record = { ...f.record, state: { ...f.record.state, ...patch } };
  }

  private output(f: Fake, stream: 'stdout' | 'stderr', text: string): void {
    const data = Buffer.from(text);
    f.logs.push({ stream, time: `2026-11-28T15:53:${String(38 + f.logs.length).padStart(2, '0')}.000000001Z`, timeNs: T0 + BigInt(f.logs.length), data });
    f.hub.broadcast(stream, data);
  }

  private exit(f: Fake, code: number): void {
    if (f.record.state.status !== 'running') return;
    this.setState(f, { status: 'exited', exitCode: code, pid: 0, finishedAt: '2026-11-28T15:54:00Z' });
    f.hub.processExited();
    for (const w of f.nextExit) w({ StatusCode: code });
    f.nextExit.clear();
    if (f.record.autoRemove) void this.remove(f.record.id, { force: true });
  }

  async create(config: ContainerCreateConfig) {
    this.createCalls.push(config);
    const image = config.image.includes(':') ? config.image : `${config.image}:latest`;
    if (!this.images.has(image)) throw notFound(`No such image: ${image}`);
    const name = config.name ?? `fake_${++this.seq}`;
    const taken = [...this.containers.values()].find((c) => c.record.name === name);
    if (taken) throw conflict(`Conflict. The container name "/${name}" is already in use by container "${taken.record.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const id = hex(`container:${name}`);
    const argv = [...(config.entrypoint ?? []), ...(config.cmd ?? ['sh'])];
    const record: ContainerRecord = {
      id,
      name,
      created: '2026-11-28T15:53:38.301Z',
      imageId: `sha256:${hex(image)}`,
      path: argv[0]!,
      args: argv.slice(1),
      config: {
        hostname: config.hostname || id.slice(0, 12), domainname: '', user: '', env: [...(config.env ?? [])], cmd: config.cmd ? [...config.cmd] : null,
        entrypoint: null, image: config.image, workingDir: '', labels: { ...(config.labels ?? {}) }, tty: config.tty ?? false,
        openStdin: config.openStdin ?? false, stdinOnce: config.stdinOnce ?? false, attachStdin: config.attachStdin ?? false,
        attachStdout: config.attachStdout ?? false, attachStderr: config.attachStderr ?? false, exposedPorts: null, stopSignal: '', stopTimeout: null,
      },
      networkMode: config.networkMode ?? 'default',
      autoRemove: config.autoRemove ?? false,
      endpointsConfig: config.endpointsConfig ?? {},
      state: { status: 'created', pid: 0, exitCode: 0, error: '', startedAt: null, finishedAt: null },
      netnsPath: null, hostsPath: '', hostnamePath: '', resolvConfPath: '', logPath: '', restartCount: 0,
      ...(config.extras !== undefined ? { extras: config.extras } : {}),
    };
    this.containers.set(id, { record, hub: new StdioHub(record.config.stdinOnce), logs: [], nextExit: new Set(), removed: new Set() });
    return { id, warnings: [] };
  }

  view(f: Fake): ContainerView {
    const name = f.record.networkMode === 'default' ? 'bridge' : f.record.networkMode;
    return {
      record: f.record,
      networks: [{
        name,
        networkId: hex(`net:${name}`),
        gateway: '10.0.0.1',
        predefined: name === 'bridge',
        request: f.record.endpointsConfig[name] ?? { aliases: [] },
        ...(f.record.state.status === 'running'
          ? { endpoint: { id: hex(`ep:${f.record.id}`), networkId: hex(`net:${name}`), containerId: f.record.id, name: f.record.name, aliases: [], host: 'host1', vtep: '198.18.0.2', ipv4: '10.0.0.2/24', mac: '02:42:0a:00:00:02' } }
          : {}),
      }],
      execIds: [],
    };
  }

  async list() {
    return [...this.containers.values()].map((f) => this.view(f));
  }

  async inspect(ref: string) {
    return this.view(this.find(ref));
  }

  async start(ref: string) {
    const f = this.find(ref);
    if (f.record.state.status === 'running') throw notModified();
    const stdin = new PassThrough();
    f.stdin = stdin;
    this.setState(f, { status: 'running', pid: 4242, startedAt: '2026-11-28T15:53:38.31Z' });
    f.hub.bind(f.record.config.openStdin ? stdin : null);
    const [program, ...args] = [f.record.path, ...f.record.args];
    // Programs run after start returns, as real processes would.
    setImmediate(() => {
      if (program === 'echo') {
        this.output(f, 'stdout', `${args.join(' ')}\n`);
        this.exit(f, 0);
      } else if (program === 'fail') {
        this.output(f, 'stdout', 'about to fail\n');
        this.output(f, 'stderr', 'failing\n');
        this.exit(f, Number(args[0] ?? 1));
      } else if (program === 'cat') {
        stdin.on('data', (d: Buffer) => this.output(f, 'stdout', d.toString()));
        stdin.on('end', () => this.exit(f, 0));
      }
    });
  }

  async stop(ref: string) {
    const f = this.find(ref);
    if (f.record.state.status !== 'running') throw notModified();
    this.exit(f, 143);
  }

  async restart(ref: string) {
    const f = this.find(ref);
    if (f.record.state.status === 'running') this.exit(f, 143);
    await this.start(ref);
  }

  async kill(ref: string) {
    const f = this.find(ref);
    if (f.record.state.status !== 'running') throw conflict(`Cannot kill container: ${ref}: container ${f.record.id} is not running`);
    this.exit(f, 137);
  }

  async remove(ref: string, opts: { force: boolean }) {
    const f = this.find(ref);
    if (f.record.state.status === 'running') {
      if (!opts.force) throw conflict(`cannot remove container "/${f.record.name}": container is running: stop the container before removing or force remove`);
      this.exit(f, 137);
    }
    this.containers.delete(f.record.id);
    f.hub.close();
    for (const w of f.removed) w({ StatusCode: f.record.state.exitCode });
    f.removed.clear();
  }

  async wait(ref: string, condition: WaitCondition, signal: AbortSignal) {
    const f = this.find(ref);
    if (condition === 'not-running' && f.record.state.status !== 'running') {
      return { result: Promise.resolve({ StatusCode: f.record.state.exitCode }) };
    }
    const set = condition === 'removed' ? f.removed : f.nextExit;
    const result = new Promise<WaitResult>((resolve, reject) => {
      set.add(resolve);
      signal.addEventListener('abort', () => {
        set.delete(resolve);
        reject(new Error('aborted'));
      });
    });
    result.catch(() => {});
    return { result };
  }

  async logs(ref: string, opts: LogsOptions) {
    const f = this.find(ref);
    let entries = f.logs
      .filter((e) => (e.stream === 'stdout' ? opts.stdout !== false : opts.stderr !== false))
      .filter((e) => opts.since === undefined || e.timeNs >= opts.since);
    if (typeof opts.tail === 'number') entries = opts.tail === 0 ? [] : entries.slice(-opts.tail);
    return { tty: f.record.config.tty, entries: (async function* () { yield* entries; })() };
  }

  async attach(ref: string, opts: { stdin: boolean; stdout: boolean; stderr: boolean }) {
    const f = this.find(ref);
    if (f.record.state.status === 'exited') throw conflict('You cannot attach to a stopped container, start it first');
    return { tty: f.record.config.tty, session: f.hub.attach(opts) as StdioSession };
  }

  async resize(ref: string) {
    this.find(ref);
  }

  async createExec(ref: string, req: ExecCreateRequest) {
    const f = this.find(ref);
    if (f.record.state.status !== 'running') throw conflict(`container ${f.record.id} is not running`);
    const id = hex(`exec:${this.execs.size}`);
    this.execs.set(id, { id, containerId: f.record.id, running: false, exitCode: null, pid: 0, request: req });
    return { id };
  }

  /** exec programs: `echo ARGS` and `cat` (stdin to stdout), exit code from `exit N`. */
  async startExec(id: string, { detach }: { detach: boolean }) {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    this.execs.set(id, { ...e, running: true, pid: 4343 });
    const output = new AsyncQueue<{ stream: 'stdout' | 'stderr'; data: Buffer }>();
    const finish = (code: number) => {
      this.execs.set(id, { ...this.execs.get(id)!, running: false, exitCode: code, pid: 0 });
      output.end();
    };
    const [program, ...args] = e.request.cmd;
    let stdinBuf = '';
    const session: StdioSession = {
      output,
      write: (d) => {
        stdinBuf += d.toString();
      },
      endStdin: () => {
        if (program === 'cat') {
          output.push({ stream: 'stdout', data: Buffer.from(stdinBuf) });
          finish(0);
        }
      },
      detach: () => output.end(),
    };
    setImmediate(() => {
      if (program === 'echo') {
        output.push({ stream: 'stdout', data: Buffer.from(`${args.join(' ')}\n`) });
        output.push({ stream: 'stderr', data: Buffer.from('to-stderr\n') });
        finish(0);
      } else if (program === 'exit') {
        finish(Number(args[0]));
      }
    });
    return detach ? null : { tty: e.request.tty, session };
  }

  async inspectExec(id: string) {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  async resizeExec(id: string) {
    await this.inspectExec(id);
  }
}

export class FakeImages implements ImagesBackend {
  readonly imported: { bytes: Buffer; opts: ImportOptions }[] = [];
  readonly records = new Map<string, ImageRecord>();

  constructor() {
    this.add('busybox:latest', Buffer.from('busybox'), { Cmd: ['sh'] });
  }

  private add(tag: string | undefined, bytes: Buffer, config: Partial<ImageRecord['config']>, comment = ''): ImageRecord {
    const id = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const record: ImageRecord = {
      id,
      repoTags: tag ? [tag] : [],
      created: '2026-11-28T15:53:29.007Z',
      comment,
      size: bytes.length,
      config: { Cmd: null, Entrypoint: null, Env: null, WorkingDir: '', User: '', Labels: null, ExposedPorts: null, Volumes: null, StopSignal: '', OnBuild: null, ...config },
      layer: `sha256:${hex(`layer:${id}`)}`,
      rootfs: '/nonexistent',
    };
    this.records.set(id, record);
    return record;
  }

  async import(archive: Readable, opts: ImportOptions) {
    const chunks: Buffer[] = [];
    for await (const c of archive) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    this.imported.push({ bytes, opts });
    const repo = opts.repo ? (opts.repo.includes(':') ? opts.repo : `${opts.repo}:latest`) : undefined;
    return this.add(repo, bytes, {}, opts.message ?? '');
  }

  async list() {
    return [...this.records.values()];
  }

  async get(ref: string) {
    const tag = ref.includes(':') || ref.startsWith('sha256:') ? ref : `${ref}:latest`;
    const found = [...this.records.values()].find((r) => r.id === ref || r.repoTags.includes(tag));
    if (!found) throw notFound(`No such image: ${tag}`);
    return found;
  }

  async remove(ref: string): Promise<readonly ImageDeleteItem[]> {
    const r = await this.get(ref);
    this.records.delete(r.id);
    return [...r.repoTags.map((t) => ({ Untagged: t })), { Deleted: r.id }];
  }
}
