// Labs for tests: each test gets its own lab (`wt<hint><random>`: every namespace, directory and
// socket carries it), removed in `finally` even when the test fails, with a check that nothing of
// it is left: no namespace with its prefix, no process in it, no mount under its directories.
//
//   await withLab('dns', async (lab) => {
//     await lab.createMachine('host1');
//     const { stdout } = await lab.exec('host1', ['hostname']);
//   });
//
// A lab whose test process was killed (so its `finally` never ran) is swept by the next
// createTestLab: every test lab is registered with its owner's PID and start time.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createMachine,
  dockerHost,
  inMachine,
  labConfig,
  labResidue,
  machineConfig,
  machineIp,
  removeLab,
  repoRoot,
  socketPath,
  type LabConfig,
  type MachineInfo,
} from '../../src/lab/index.js';
import { isRunning, processRef, type ProcessRef } from '../../src/lab/processes.js';

export interface TestMachineOptions {
  /** --cluster-store (default: the lab's shared SQLite file). */
  readonly store?: string;
  /** --dns (default: none). Only resolvers inside the lab are accepted. */
  readonly dns?: readonly string[];
  /** --lease-ttl in seconds. */
  readonly leaseTtl?: number;
  /** Any other weftd flags, as KEY=VALUE. */
  readonly engineOpts?: readonly string[];
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Written to the command's stdin, which is then closed (default: stdin closed at once). */
  readonly input?: string;
  /** Kill the command (by PID) after this long; its result then has code 124. Default 60 s. */
  readonly timeoutMs?: number;
}

export interface TestLab {
  /** The lab's name, e.g. `wtdns3f9a1`: the prefix of all its namespaces. */
  readonly name: string;
  /** For calling src/lab directly. */
  readonly labConfig: LabConfig;
  /** Whether machines run the real weftd (dist/src/daemon/main.js) or the test stand-in. */
  readonly realWeftd: boolean;
  createMachine(name: string, opts?: TestMachineOptions): Promise<MachineInfo>;
  /** `-H unix:///run/weft/<lab>/<name>.sock`, as `weft machine config` prints it. */
  config(name: string): string;
  /** `unix:///run/weft/<lab>/<name>.sock`: for docker -H or DOCKER_HOST. */
  host(name: string): string;
  socketPath(name: string): string;
  /** The machine's LAN address (198.18.0.x). */
  ip(name: string): string;
  /** Run a command in the machine's network and UTS namespaces; output captured. */
  exec(name: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Remove the lab and assert nothing of it remains. Safe to call twice. */
  remove(): Promise<void>;
}

export interface TestLabOptions {
  /** 'auto': the real weftd if it is built, else the stand-in. Default: $WEFT_TEST_WEFTD or 'auto'. */
  readonly weftd?: 'auto' | 'real' | 'stand-in';
  readonly startTimeoutMs?: number;
}

const registry = path.join(os.tmpdir(), 'weft-test-labs');
const realWeftdBuilt = () => fs.existsSync(path.join(repoRoot(), 'dist', 'src', 'daemon', 'main.js'));
const standIn = () => path.join(repoRoot(), 'dist', 'test', 'lab', 'fixtures', 'stand-in-weftd.js');

/** `WEFT_TEST_WEFTD=real|stand-in|auto` picks for every test lab that does not say. */
function defaultWeftd(): NonNullable<TestLabOptions['weftd']> {
  const env = process.env.WEFT_TEST_WEFTD;
  if (env === undefined || env === '') return 'auto';
  if (env === 'real' || env === 'stand-in' || env === 'auto') return env;
  throw new Error(`WEFT_TEST_WEFTD=${env}: want real, stand-in or auto`);
}

/** The weftd argv prefix tests use (also for `weft` CLI runs, as WEFT_LAB_WEFTD). */
export function testWeftdCommand(which = defaultWeftd()): { argv: string[]; real: boolean } {
  const real = which === 'real' || (which === 'auto' && realWeftdBuilt());
  return { argv: [process.execPath, real ? path.join(repoRoot(), 'bin', 'weftd') : standIn()], real };
}

/** Remove test labs whose test process died before its `finally` ran. */
async function sweepAbandonedLabs(): Promise<void> {
  let entries: string[];
  try {
    entries = fs.readdirSync(registry);
  } catch {
    return;
  }
  for (const name of entries.filter((e) => !e.startsWith('.'))) {
    const file = path.join(registry, name);
    let owner: string;
    try {
      owner = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // swept by someone else meanwhile
    }
    const [pid, startTime] = owner.trim().split(' ').map(Number);
    if (!pid || startTime === undefined || isRunning({ pid, startTime })) continue;
    try {
      await removeLab(labConfig({ name, weftd: [] }));
      fs.rmSync(file, { force: true });
    } catch (err) {
      // The new lab does not depend on it; say so and go on.
      process.stderr.write(`test lab ${name} of dead process ${pid} could not be removed: ${String(err)}\n`);
    }
  }
}

function register(name: string): () => void {
  const me: ProcessRef = processRef(process.pid)!;
  fs.mkdirSync(registry, { recursive: true });
  // Written whole (rename), so a sweeper never reads it half-written and takes it for abandoned.
  const tmp = path.join(registry, `.${name}.tmp`);
  fs.writeFileSync(tmp, `${me.pid} ${me.startTime}\n`);
  fs.renameSync(tmp, path.join(registry, name));
  return () => {
    fs.rmSync(path.join(registry, name), { force: true });
    try {
      fs.rmdirSync(registry);
    } catch {
      // other test labs are still registered
    }
  };
}

function labName(prefixHint: string): string {
  const hint = prefixHint.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 6);
  return `wt${hint}${crypto.randomBytes(3).toString('hex')}`;
}

function engineOpts(opts: TestMachineOptions): string[] {
  return [
    ...(opts.store ? [`cluster-store=${opts.store}`] : []),
    ...(opts.dns ?? []).map((d) => `dns=${d}`),
    ...(opts.leaseTtl !== undefined ? [`lease-ttl=${opts.leaseTtl}`] : []),
    ...(opts.engineOpts ?? []),
  ];
}

function runCaptured(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exit = timedOut ? 124 : signal ? 128 + (os.constants.signals[signal] ?? 0) : (code ?? 1);
      resolve({ code: exit, stdout, stderr });
    });
  });
}

function describeResidue(lab: LabConfig): string | undefined {
  const r = labResidue(lab);
  const left = [
    ...r.netns.map((n) => `netns ${n}`),
    ...r.processes.map((p) => `process ${p.pid} (${p.owner}): ${p.cmdline}`),
    ...r.mounts.map((m) => `mount ${m}`),
    ...r.paths.map((p) => `path ${p}`),
  ];
  return left.length > 0 ? left.join('\n  ') : undefined;
}

export async function createTestLab(prefixHint = '', options: TestLabOptions = {}): Promise<TestLab> {
  await sweepAbandonedLabs();
  const name = labName(prefixHint);
  const weftd = testWeftdCommand(options.weftd);
  const cfg = labConfig({
    name,
    weftd: weftd.argv,
    ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
    log: process.env.WEFT_TEST_VERBOSE ? (m) => process.stderr.write(`[${name}] ${m}\n`) : () => undefined,
  });
  const unregister = register(name);
  let removed = false;
  return {
    name,
    labConfig: cfg,
    realWeftd: weftd.real,
    createMachine: (machine, opts = {}) => createMachine(cfg, machine, { engineOpts: engineOpts(opts) }),
    config: (machine) => machineConfig(cfg, machine),
    host: (machine) => dockerHost(cfg, machine),
    socketPath: (machine) => socketPath(cfg, machine),
    ip: (machine) => machineIp(cfg, machine),
    exec: (machine, argv, opts = {}) => {
      machineIp(cfg, machine); // throws if there is no such machine
      return runCaptured(inMachine(cfg, machine, argv), opts);
    },
    async remove() {
      if (removed) return;
      await removeLab(cfg);
      const left = describeResidue(cfg);
      if (left) throw new Error(`lab ${name} left things behind:\n  ${left}`);
      removed = true;
      unregister();
    },
  };
}

/** Run `fn` with a fresh lab; the lab is removed (and checked) afterwards, pass or fail. */
export async function withLab<T>(prefixHint: string, fn: (lab: TestLab) => Promise<T>, options: TestLabOptions = {}): Promise<T> {
  const lab = await createTestLab(prefixHint, options);
  let result: T;
  try {
    result = await fn(lab);
  } catch (err) {
    await lab.remove().catch((cleanupErr: unknown) => {
      process.stderr.write(`withLab: removing lab ${lab.name} after a failure: ${String(cleanupErr)}\n`);
    });
    throw err;
  }
  await lab.remove();
  return result;
}
