// Child processes for the benchmark: short commands with their output captured (and a time
// limit, so that nothing the benchmark starts can run on by itself), and long-running helpers
// (iperf3 servers, dnsmasq, probes, store servers) that are stopped by their PID.
//
// Every child started here is remembered until it exits, so that an interrupted benchmark can
// kill what it started by PID on the way out (see killAllChildren).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowNs } from './clock.js';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from just before spawn to the child's exit, in ms. */
  readonly ms: number;
}

export interface RunOptions {
  readonly input?: string;
  /** SIGKILL after this long (the result then has code 124). Default 120 s. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Send stdout to this file instead of memory (large outputs, e.g. dnsperf -v). */
  readonly stdoutFile?: string;
}

const live = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
}

/** SIGKILL every child still running (by PID): for the exit path of an interrupted run. */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const out = opts.stdoutFile !== undefined ? fs.openSync(opts.stdoutFile, 'w') : undefined;
    const start = nowNs();
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', out ?? 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    if (out !== undefined) fs.closeSync(out);
    track(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      const ms = Number(nowNs() - start) / 1e6;
      clearTimeout(timer);
      resolve({ code: timedOut ? 124 : signal ? 128 : (code ?? 1), stdout, stderr, ms });
    });
  });
}

/** Like run, but throws with the command's own words unless it exits 0. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    const why = r.code === 124 ? `timed out after ${opts.timeoutMs ?? 120_000} ms` : `exited ${r.code}`;
    throw new Error(`${argv.join(' ')} ${why}: ${(r.stderr + r.stdout).trim().slice(-2000)}`);
  }
  return r;
}

/** A long-running helper: its output kept in memory line by line, stopped by its PID. */
export class Background {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  private readonly exited: Promise<number>;
  private stderrText = '';

  constructor(readonly argv: readonly string[], opts: { stdoutFile?: string; stdin?: 'pipe' | 'ignore' } = {}) {
    const out = opts.stdoutFile !== undefined ? fs.openSync(opts.stdoutFile, 'w') : undefined;
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: [opts.stdin ?? 'ignore', out ?? 'pipe', 'pipe'] });
    if (out !== undefined) fs.closeSync(out);
    track(this.child);
    let partial = '';
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      partial += d;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const line of parts) this.onLine(line);
    });
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderrText = (this.stderrText + d).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        if (partial !== '') this.onLine(partial);
        resolve(signal ? 128 : (code ?? 1));
      });
      this.child.once('error', (err) => {
        this.stderrText += err.message;
        resolve(127);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get output(): readonly string[] {
    return this.lines;
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }

  private onLine(line: string): void {
    this.lines.push(line);
    for (const w of [...this.waiters]) {
      if (w.test(line)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  }

  /** The first output line (already seen or still to come) that passes `test`. */
  async waitForLine(test: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return seen;
    let waiter: { test: (l: string) => boolean; resolve: (l: string) => void } | undefined;
    const line = new Promise<string>((resolve) => {
      waiter = { test, resolve };
      this.waiters.push(waiter);
    });
    const result = await Promise.race([
      line,
      this.exited.then((code) => new Error(`${what}: ${this.argv[0]} exited ${code} first: ${this.stderrText.trim()}`)),
      sleep(timeoutMs).then(() => new Error(`${what}: no answer within ${timeoutMs} ms; stderr: ${this.stderrText.trim()}`)),
    ]);
    if (typeof result !== 'string') {
      if (waiter) this.waiters.splice(this.waiters.indexOf(waiter), 1);
      throw result;
    }
    return result;
  }

  /** Resolves with the exit code; SIGKILL (by PID) if it has not exited within `timeoutMs`. */
  async wait(timeoutMs: number): Promise<number> {
    const done = await Promise.race([this.exited, sleep(timeoutMs).then(() => undefined)]);
    if (done !== undefined) return done;
    this.signal('SIGKILL');
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Safe to repeat. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    this.signal('SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      this.signal('SIGKILL');
      await this.exited;
    }
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.child.pid === undefined || !this.running) return;
    try {
      process.kill(this.child.pid, sig);
    } catch {
      // already gone
    }
  }
}
