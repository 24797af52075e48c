// Container lifecycle behind the Docker API: create, start, stop, kill, remove, wait, logs,
// attach and exec. One process per running container (sandbox-process.ts); records on disk
// (container-store.ts); networking through the ContainerNetworking seam.
//
// Concurrency: start, stop and remove of one container run one at a time (a keyed mutex). The
// exit of a process is handled outside that mutex (stop waits for it while holding it).

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { conflict, invalid, isWeftError, notFound, notModified } from '../errors.js';
import { envValue, mergeCreateConfig, processEnv } from './container-config.js';
import { ContainerStore, processStartTicks, type ContainerPaths } from './container-store.js';
import { assertMountSafePath } from './fs-util.js';
import type { ImageStore } from './images.js';
import { JsonLogWriter, logFileSize, matches, readLogFile } from './logs.js';
import { generateName, validateName } from './names.js';
import type { ContainerNetworking, ContainerNetworkSpec } from './networking.js';
import { checkExecutable, resolveUser } from './rootfs-lookup.js';
import { spawnExec, startSandbox, type ExecProcess, type SandboxProcess } from './sandbox-process.js';
import { parseSignal } from './signals.js';
import { StdioHub, type AttachOptions, type Attachment } from './stdio-hub.js';
import { AsyncQueue, KeyedMutex } from './sync.js';
import { NO_SIZE, type TtySize } from './terminal.js';
import { formatNsTrimmed, nowNs, parseRfc3339Ns } from './timestamps.js';
import type {
  ContainerCreateConfig, ContainerEvent, ContainerEventAction, ContainerRecord, ContainerState, LogEntry,
  LogsOptions, RuntimeLogger, WaitCondition, WaitResult,
} from './types.js';

export interface ContainerManagerOptions {
  readonly dataRoot: string;
  /** Runtime state that need not survive a reboot (mount points). */
  readonly execRoot: string;
  readonly images: ImageStore;
  readonly networking: ContainerNetworking;
  readonly logger: RuntimeLogger;
}

export interface ExecOptions {
  readonly cmd: readonly string[];
  readonly env?: readonly string[];
  /** Default: the container's User. */
  readonly user?: string;
  /** Default: the container's WorkingDir or `/`. */
  readonly workingDir?: string;
  readonly attachStdin?: boolean;
  /** A pseudo-terminal (stderr merged into it) instead of pipes. */
  readonly tty?: boolean;
  /** The terminal's initial size (ConsoleSize). */
  readonly consoleSize?: TtySize;
}

type Waiter = (r: WaitResult) => void;

interface Run {
  readonly proc: SandboxProcess;
  readonly log: JsonLogWriter;
  /** Resolves when the exit has been fully handled (state saved, network torn down). */
  done: Promise<void>;
}

/** What the manager keeps per container in memory. */
interface Entry {
  record: ContainerRecord;
  pidStartTicks: string | null;
  readonly hub: StdioHub;
  run: Run | null;
  removal: Promise<void> | null;
  readonly nextExit: Set<Waiter>;
  readonly removed: Set<Waiter>;
}

const DEFAULT_STOP_TIMEOUT_S = 10;

export class ContainerManager {
  /** Emits 'container' with a ContainerEvent on every lifecycle change. */
  readonly events = new EventEmitter<{ container: [ContainerEvent] }>();
  private readonly byId = new Map<string, Entry>();
  private readonly byName = new Map<string, string>();
  private readonly store: ContainerStore;
  private readonly lock = new KeyedMutex();
  private readonly images: ImageStore;
  private readonly networking: ContainerNetworking;
  private readonly log: RuntimeLogger;
  private initialized = false;

  constructor(opts: ContainerManagerOptions) {
    assertMountSafePath(opts.dataRoot);
    assertMountSafePath(opts.execRoot);
    this.store = new ContainerStore(opts.dataRoot, opts.execRoot);
    this.images = opts.images;
    this.networking = opts.networking;
    this.log = opts.logger;
    this.images.setUsers((imageId) => [...this.byId.values()]
      .filter((e) => e.record.imageId === imageId)
      .map((e) => ({ id: e.record.id, running: e.run !== null })));
  }

  /**
   * Loads the records. Containers that were running when weftd stopped are dead (their processes
   * die with weftd); they are marked exited (255, like Docker after a daemon crash), their
   * network is torn down, and AutoRemove ones are removed.
   */
  async init(): Promise<void> {
    await this.store.init();
    const autoRemove: Entry[] = [];
    for (const { record, pidStartTicks } of await this.store.loadAll()) {
      const entry = this.newEntry(record, pidStartTicks);
      this.byId.set(record.id, entry);
      this.byName.set(record.name, record.id);
      if (record.state.status === 'running' || record.state.status === 'removing') {
        await this.killLeftover(record, pidStartTicks);
        await this.tearDownNetwork(entry);
        await this.store.cleanupRun(record.id);
        const removing = record.state.status === 'removing';
        this.setState(entry, { status: 'exited', pid: 0, exitCode: removing ? record.state.exitCode : 255, finishedAt: formatNsTrimmed(nowNs()) });
        await this.persist(entry);
        if (removing || record.autoRemove) autoRemove.push(entry);
      }
    }
    this.initialized = true;
    for (const entry of autoRemove) await this.remove(entry.record.id, { force: true });
  }

  async create(req: ContainerCreateConfig): Promise<ContainerRecord> {
    this.assertInitialized();
    const image = this.images.get(req.image);
    const name = req.name ? validateName(req.name) : generateName((n) => this.byName.has(n));
    const taken = this.byName.get(name);
    if (taken) {
      throw conflict(`Conflict. The container name "/${name}" is already in use by container "${taken}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const id = newContainerId();
    this.byName.set(name, id);
    try {
      const networkMode = req.networkMode || 'default';
      const defaultHostname = networkMode === 'host' ? osHostname() : id.slice(0, 12);
      const merged = mergeCreateConfig(req, image.config, defaultHostname);
      const paths = this.store.paths(id);
      const record: ContainerRecord = {
        id,
        name,
        created: formatNsTrimmed(nowNs()),
        imageId: image.id,
        path: merged.path,
        args: merged.args,
        config: merged.config,
        networkMode,
        autoRemove: req.autoRemove ?? false,
        endpointsConfig: req.endpointsConfig ?? {},
        state: { status: 'created', pid: 0, exitCode: 0, error: '', startedAt: null, finishedAt: null },
        netnsPath: null,
        hostsPath: paths.hostsFile,
        hostnamePath: paths.hostnameFile,
        resolvConfPath: paths.resolvConfFile,
        logPath: paths.logFile,
        restartCount: 0,
        ...(req.consoleSize ? { consoleSize: req.consoleSize } : {}),
        ...(req.extras !== undefined ? { extras: req.extras } : {}),
      };
      await this.store.create(record);
      this.byId.set(id, this.newEntry(record, null));
      this.emit('create', record);
      return structuredClone(record);
    } catch (err) {
      this.byName.delete(name);
      await this.store.delete(id).catch(() => {});
      throw err;
    }
  }

  /** Resolves a full id, an exact name (with or without `/`), or a unique id prefix. */
  get(ref: string): ContainerRecord {
    return structuredClone(this.entry(ref).record);
  }

  /** Running containers, or all with `all`; newest first. */
  list(opts: { all?: boolean } = {}): ContainerRecord[] {
    this.assertInitialized();
    return [...this.byId.values()]
      .filter((e) => opts.all || e.run !== null)
      .map((e) => structuredClone(e.record))
      .sort((a, b) => (parseRfc3339Ns(b.created) > parseRfc3339Ns(a.created) ? 1 : -1));
  }

  /**
   * Changes which networks the container is on (`network connect`/`disconnect`). `apply` runs
   * under the container's lock, told whether it is running, so a live change cannot interleave
   * with start or stop; the networks it returns are saved only if it succeeds.
   */
  async updateNetworks(
    ref: string,
    apply: (record: ContainerRecord, running: boolean) => Promise<Pick<ContainerRecord, 'networkMode' | 'endpointsConfig'>>,
  ): Promise<void> {
    const id = this.entry(ref).record.id;
    await this.lock.run(id, async () => {
      const entry = this.entry(id);
      const next = await apply(structuredClone(entry.record), entry.run !== null);
      entry.record = { ...entry.record, networkMode: next.networkMode, endpointsConfig: next.endpointsConfig };
      await this.persist(entry);
    });
  }

  async start(ref: string): Promise<void> {
    const id = this.entry(ref).record.id;
    await this.lock.run(id, async () => {
      const entry = this.entry(id);
      if (entry.run) throw notModified();
      if (entry.removal) throw conflict(`removal of container ${entry.record.name} is already in progress`);
      await this.startLocked(entry);
    });
  }

  /**
   * Sends the stop signal (the given one, the container's StopSignal, or SIGTERM), waits up to the
   * timeout (the given one, the container's StopTimeout, or 10 s; negative waits forever), then
   * SIGKILL. Resolves once the container has exited and its network is torn down.
   */
  async stop(ref: string, opts: { timeoutSeconds?: number; signal?: string } = {}): Promise<void> {
    const id = this.entry(ref).record.id;
    await this.lock.run(id, async () => {
      const entry = this.entry(id);
      const run = entry.run;
      if (!run) throw notModified();
      const signal = parseSignal(opts.signal || entry.record.config.stopSignal || 'SIGTERM');
      const timeout = opts.timeoutSeconds ?? entry.record.config.stopTimeout ?? DEFAULT_STOP_TIMEOUT_S;
      this.signal(entry, signal);
      if (timeout >= 0 && !(await settlesWithin(run.done, timeout * 1000))) {
        this.log.info({ container: id, timeout }, 'container did not stop in time; killing it');
        this.signal(entry, 'SIGKILL');
      }
      await run.done;
      this.emit('stop', entry.record);
    });
  }

  /** Sends a signal (default SIGKILL) to PID 1; 409 if the container is not running. */
  kill(ref: string, signal: string = 'SIGKILL'): void {
    const entry = this.entry(ref);
    const sig = parseSignal(signal);
    if (!entry.run) {
      throw conflict(`Cannot kill container: ${ref}: container ${entry.record.id} is not running`);
    }
    this.signal(entry, sig);
  }

  /**
   * Deletes the container. A running one is a 409 unless `force`, which kills it first (its
   * `next-exit` waiters then see 137). Resolves `removed` waiters.
   */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    const entry = this.entry(ref);
    if (entry.removal) return entry.removal;
    if (entry.run) {
      if (!opts.force) {
        throw conflict(`cannot remove container "/${entry.record.name}": container is running: stop the container before removing or force remove`);
      }
      this.signal(entry, 'SIGKILL');
    }
    const removal = this.lock.run(entry.record.id, async () => {
      if (entry.run) {
        this.signal(entry, 'SIGKILL');
        await entry.run.done;
      }
      await this.removeLocked(entry);
    });
    entry.removal = removal;
    removal.catch(() => {
      entry.removal = null;
    });
    return removal;
  }

  /**
   * Docker's wait: `not-running` answers at once for a container that is not running,
   * `next-exit` waits for the next exit, `removed` for the deletion.
   */
  wait(ref: string, condition: WaitCondition = 'not-running', opts: { signal?: AbortSignal } = {}): Promise<WaitResult> {
    const entry = this.entry(ref);
    if (condition === 'not-running' && !entry.run) return Promise.resolve(waitResult(entry.record.state));
    const set = condition === 'removed' ? entry.removed : entry.nextExit;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = (r) => {
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onAbort = () => {
        set.delete(waiter);
        reject(opts.signal?.reason ?? new Error('aborted'));
      };
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      set.add(waiter);
    });
  }

  /**
   * Logged output, oldest first. The container is resolved at once (a 404 throws here, before
   * any streaming); the entries come from the returned iterable. With `follow`, new entries
   * stream until the container's process exits.
   */
  logs(ref: string, opts: LogsOptions = {}): AsyncIterable<LogEntry> {
    const entry = this.entry(ref);
    const logPath = this.store.paths(entry.record.id).logFile;
    const writer = opts.follow && entry.run && !entry.run.log.closed ? entry.run.log : null;
    return (async function* () {
      let live: AsyncQueue<LogEntry> | null = null;
      let endOffset: number;
      if (writer && !writer.closed) {
        let unsubscribe = () => {};
        const queue = new AsyncQueue<LogEntry>(() => unsubscribe());
        unsubscribe = writer.subscribe((e) => queue.push(e), () => queue.end());
        live = queue;
        // Synchronous with the subscription: entries before this offset are in the file, later ones live.
        endOffset = writer.size;
        opts.signal?.addEventListener('abort', () => queue.end(), { once: true });
      } else {
        endOffset = await logFileSize(logPath);
      }
      try {
        for await (const e of readLogFile(logPath, endOffset, opts)) {
          if (opts.signal?.aborted) return;
          yield e;
        }
        if (!live) return;
        for await (const e of live) {
          if (opts.until !== undefined && e.timeNs >= opts.until) return;
          if (matches(e, opts)) yield e;
        }
      } finally {
        live?.end();
      }
    })();
  }

  /**
   * Attaches to a created or running container's stdio (Docker's attach). Attachments made before
   * start see the whole output; stdin written before start is delivered at start.
   */
  attach(ref: string, opts: AttachOptions): Attachment {
    const entry = this.entry(ref);
    if (!entry.run && entry.record.state.status !== 'created') {
      throw conflict('You cannot attach to a stopped container, start it first');
    }
    this.emit('attach', entry.record);
    return entry.hub.attach(opts);
  }

  /**
   * Sets the window size of a running Tty container's terminal (SIGWINCH to its foreground
   * programs). Nothing for a container without a Tty or not running: the CLI resizes right after
   * start, when a short-lived container may be gone already.
   */
  async resize(ref: string, size: TtySize): Promise<void> {
    const entry = this.entry(ref);
    if (!entry.run || !entry.record.config.tty) return;
    await entry.run.proc.resize(size);
  }

  /** Runs a program inside a running container (all its namespaces, its root). */
  async exec(ref: string, opts: ExecOptions): Promise<ExecProcess> {
    const entry = this.entry(ref);
    const run = entry.run;
    if (!run) throw conflict(`container ${entry.record.id} is not running`);
    if (opts.cmd.length === 0) throw invalid('No exec command specified');
    const paths = this.store.paths(entry.record.id);
    const layers = [paths.upperDir, this.images.get(entry.record.imageId).rootfs];
    const user = await resolveUser(layers, opts.user ?? entry.record.config.user);
    const env = processEnv(entry.record.config, user.home, opts.env ?? [], opts.tty ?? false);
    const workingDir = opts.workingDir || entry.record.config.workingDir || '/';
    await checkExecutable(layers, opts.cmd[0], envValue(env, 'PATH') ?? '', workingDir);
    const proc = spawnExec({
      pid: run.proc.pid,
      mountPoint: paths.mountPoint,
      argv: opts.cmd,
      env,
      workingDir,
      user: entry.record.config.user || opts.user ? user : null,
      openStdin: opts.attachStdin ?? false,
      tty: opts.tty ? opts.consoleSize ?? NO_SIZE : null,
    });
    this.emit('exec_start', entry.record, { execCommand: opts.cmd.join(' ') });
    return proc;
  }

  // ---- internals -------------------------------------------------------------------------

  private async startLocked(entry: Entry): Promise<void> {
    const record = entry.record;
    const paths = this.store.paths(record.id);
    const image = this.images.get(record.imageId);
    const layers = [paths.upperDir, image.rootfs];
    const workingDir = record.config.workingDir || '/';
    let user;
    let env: string[];
    try {
      user = await resolveUser(layers, record.config.user);
      env = processEnv(record.config, user.home, [], record.config.tty);
      await checkExecutable(layers, record.path, envValue(env, 'PATH') ?? '', workingDir);
    } catch (err) {
      const exitCode = /permission denied/.test(String(err)) ? 126 : 127;
      await this.startFailed(entry, exitCode, err);
      throw err;
    }

    const spec = this.networkSpec(record);
    let netnsPath: string | null = null;
    let proc: SandboxProcess | null = null;
    let log: JsonLogWriter | null = null;
    try {
      const net = await this.networking.setUp(spec);
      netnsPath = net.netnsPath;
      await writeEtcFiles(paths, record.config.hostname, net.hosts, net.resolvConf);
      await this.store.prepareRun(record.id);
      log = new JsonLogWriter(paths.logFile);
      proc = await startSandbox({
        netnsPath,
        hostname: record.config.hostname,
        domainname: record.config.domainname,
        lowerDir: image.rootfs,
        upperDir: paths.upperDir,
        workDir: paths.workDir,
        mountPoint: paths.mountPoint,
        etcFilesDir: paths.dir,
        workingDir,
        env,
        user: record.config.user ? user : null,
        argv: [record.path, ...record.args],
        openStdin: record.config.openStdin,
        tty: record.config.tty ? record.consoleSize ?? NO_SIZE : null,
      });
    } catch (err) {
      log?.close();
      await this.tearDownNetwork(entry, { ...spec, netnsPath });
      await this.store.cleanupRun(record.id);
      await this.startFailed(entry, 128, err);
      throw err;
    }

    const started = proc;
    const writer = log;
    started.onOutput((stream, data) => {
      writer.write(stream, data);
      entry.hub.broadcast(stream, data);
    });
    entry.hub.bind(started.stdin);
    // The state becomes `running` before anything can observe the exit (which may already have
    // happened for a short-lived command): exit handling waits for this save.
    const run: Run = { proc: started, log: writer, done: Promise.resolve() };
    entry.run = run;
    entry.pidStartTicks = processStartTicks(started.pid);
    entry.record = { ...entry.record, netnsPath };
    this.setState(entry, {
      status: 'running', pid: started.pid, exitCode: 0, error: '',
      startedAt: formatNsTrimmed(nowNs()), finishedAt: null,
    });
    this.emit('start', entry.record);
    const saved = this.persist(entry);
    run.done = Promise.all([started.exited, saved.catch(() => {})])
      .then(([code]) => this.handleExit(entry, run, code));
    await saved;
  }

  /** Records why a start failed; like moby, an AutoRemove container is then removed. */
  private async startFailed(entry: Entry, exitCode: number, err: unknown): Promise<void> {
    this.setState(entry, { exitCode, error: errorMessage(err) });
    await this.persist(entry);
    if (entry.record.autoRemove) this.removeLater(entry);
  }

  private async handleExit(entry: Entry, run: Run, exitCode: number): Promise<void> {
    try {
      this.setState(entry, { status: 'exited', pid: 0, exitCode, finishedAt: formatNsTrimmed(nowNs()) });
      entry.pidStartTicks = null;
      await this.persist(entry);
      await this.tearDownNetwork(entry);
      entry.record = { ...entry.record, netnsPath: null };
      await this.persist(entry);
      await this.store.cleanupRun(entry.record.id).catch((err) => this.log.warn({ err, container: entry.record.id }, 'cleanup failed'));
    } catch (err) {
      this.log.error({ err, container: entry.record.id }, 'handling the exit of a container failed');
    } finally {
      entry.run = null;
      // Followers and attachers end only now, so what they see next is an exited container.
      run.log.close();
      entry.hub.processExited();
      this.emit('die', entry.record, { exitCode: String(exitCode) });
      notify(entry.nextExit, waitResult(entry.record.state));
    }
    // `done` must settle first: remove() waits for it under the mutex.
    if (entry.record.autoRemove) this.removeLater(entry);
  }

  /** AutoRemove: queued behind the operation that holds the container's mutex now. */
  private removeLater(entry: Entry): void {
    void this.remove(entry.record.id, { force: true }).catch((err) => {
      if (!isWeftError(err, 'not-found')) this.log.error({ err, container: entry.record.id }, 'auto-remove failed');
    });
  }

  private async removeLocked(entry: Entry): Promise<void> {
    this.setState(entry, { status: 'removing' });
    await this.persist(entry);
    entry.hub.close();
    await this.store.delete(entry.record.id);
    this.byId.delete(entry.record.id);
    if (this.byName.get(entry.record.name) === entry.record.id) this.byName.delete(entry.record.name);
    const result = waitResult(entry.record.state);
    notify(entry.removed, result);
    // Nobody will exit any more: release next-exit waiters of a container that never ran.
    notify(entry.nextExit, result);
    this.emit('destroy', entry.record);
  }

  private networkSpec(record: ContainerRecord): ContainerNetworkSpec {
    return {
      id: record.id,
      name: record.name,
      hostname: record.config.hostname,
      domainname: record.config.domainname,
      networkMode: record.networkMode,
      endpointsConfig: record.endpointsConfig,
    };
  }

  private async tearDownNetwork(entry: Entry, spec = { ...this.networkSpec(entry.record), netnsPath: entry.record.netnsPath }): Promise<void> {
    try {
      await this.networking.tearDown(spec);
    } catch (err) {
      this.log.error({ err, container: entry.record.id }, 'network tear-down failed');
    }
  }

  private signal(entry: Entry, signal: NodeJS.Signals): void {
    const pid = entry.record.state.pid;
    if (!entry.run || pid <= 0) return;
    try {
      process.kill(pid, signal);
      this.emit('kill', entry.record, { signal: signal.replace(/^SIG/, '') });
    } catch (err) {
      // ESRCH: it exited on its own meanwhile; the exit handler takes it from here.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  private async killLeftover(record: ContainerRecord, pidStartTicks: string | null): Promise<void> {
    const pid = record.state.pid;
    if (pid <= 0 || pidStartTicks === null) return;
    if (processStartTicks(pid) !== pidStartTicks) return;
    this.log.warn({ container: record.id, pid }, 'killing a container process left by a previous weftd');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    for (let i = 0; i < 100 && processStartTicks(pid) === pidStartTicks; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private entry(ref: string): Entry {
    this.assertInitialized();
    const byId = this.byId.get(ref);
    if (byId) return byId;
    const name = ref.startsWith('/') ? ref.slice(1) : ref;
    const idByName = this.byName.get(name);
    if (idByName) return this.byId.get(idByName)!;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.byId.keys()].filter((id) => id.startsWith(ref));
      if (matches.length === 1) return this.byId.get(matches[0])!;
      if (matches.length > 1) throw invalid(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw notFound(`No such container: ${ref}`);
  }

  private newEntry(record: ContainerRecord, pidStartTicks: string | null): Entry {
    return {
      record,
      pidStartTicks,
      hub: new StdioHub(record.config.stdinOnce),
      run: null,
      removal: null,
      nextExit: new Set(),
      removed: new Set(),
    };
  }

  private setState(entry: Entry, patch: Partial<ContainerState>): void {
    entry.record = { ...entry.record, state: { ...entry.record.state, ...patch } };
  }

  private persist(entry: Entry): Promise<void> {
    return this.store.save(entry.record, entry.pidStartTicks);
  }

  private emit(action: ContainerEventAction, record: ContainerRecord, attributes: Record<string, string> = {}): void {
    const event: ContainerEvent = {
      action,
      id: record.id,
      name: record.name,
      image: record.config.image,
      timeNs: nowNs(),
      attributes: { name: record.name, image: record.config.image, ...attributes },
    };
    this.events.emit('container', event);
  }

  private assertInitialized(): void {
    if (!this.initialized) throw new Error('ContainerManager.init() must be awaited before use');
  }
}

async function writeEtcFiles(paths: ContainerPaths, hostname: string, hosts: string, resolvConf: string): Promise<void> {
  await writeFile(paths.hostnameFile, `${hostname}\n`);
  await writeFile(paths.hostsFile, hosts);
  await writeFile(paths.resolvConfFile, resolvConf);
}

function newContainerId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    // moby avoids ids whose short form is all digits: it would read as a number.
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}

function waitResult(state: ContainerState): WaitResult {
  return state.error ? { StatusCode: state.exitCode, Error: { Message: state.error } } : { StatusCode: state.exitCode };
}

function notify(waiters: Set<Waiter>, result: WaitResult): void {
  for (const w of [...waiters]) w(result);
  waiters.clear();
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
