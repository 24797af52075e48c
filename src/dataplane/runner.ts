// The one way the data plane runs OS commands (STYLE §7). Everything that touches the kernel is
// an argv handed to a CommandRunner, so unit tests swap in RecordingRunner and compare the
// commands as text (tailscale's TestRouterStates), and the real kernel tests wrap ExecRunner in
// the same recorder to prove that re-applying a desired state issues no writes.
import { spawn } from 'node:child_process';
import { hostTool } from '../util/host-tool.js';

export interface RunOptions {
  /** Written to the child's stdin (batches: `ip -force -batch -`). */
  readonly input?: string;
  /** Return a non-zero exit instead of throwing; the caller inspects code and stderr. */
  readonly allowFail?: boolean;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface CommandRunner {
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly code: number,
    readonly stderr: string,
    readonly input?: string,
  ) {
    super(`${argv.join(' ')} exited with ${code}: ${describeFailure(stderr, input)}`);
    this.name = 'CommandError';
  }
}

/** Batches report "Command failed -:N"; naming the failing stdin line saves a debugging round. */
function describeFailure(stderr: string, input: string | undefined): string {
  const text = stderr.trim() || '(no stderr)';
  if (input === undefined) return text;
  const lines = input.split('\n');
  const failed = [...text.matchAll(/Command failed -:(\d+)/g)].map((m) => lines[Number(m[1]) - 1]);
  return failed.length === 0 ? text : `${text} [failed lines: ${failed.map((l) => JSON.stringify(l)).join(', ')}]`;
}

export interface ExecRunnerOptions {
  /** A wedged `ip` must not wedge the daemon. */
  readonly timeoutMs?: number;
}

export class ExecRunner implements CommandRunner {
  private readonly timeoutMs: number;
  // Error texts are matched (e.g. "does not exist"), so they must not be translated.
  private readonly env = { ...process.env, LC_ALL: 'C' };

  constructor(opts: ExecRunnerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const [file, ...args] = argv;
    if (file === undefined) return Promise.reject(new Error('empty argv'));
    return new Promise((resolve, reject) => {
      const child = spawn(this.executable(file), args, {
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: this.env,
        argv0: file,
      });
      // Not spawn's own `timeout`: its timer outlives a child that failed to start (ENOENT) and
      // holds the event loop open until it fires.
      const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`${argv.join(' ')}: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const result = {
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8') + (signal ? `killed by ${signal}` : ''),
          code: code ?? 128,
        };
        if (result.code !== 0 && !opts.allowFail) {
          reject(new CommandError(argv, result.code, result.stderr, opts.input));
        } else {
          resolve(result);
        }
      });
      if (opts.input !== undefined && child.stdin) {
        // EPIPE if the child exits before reading everything; the exit code tells the story.
        child.stdin.on('error', () => undefined);
        child.stdin.end(opts.input);
      }
    });
  }

  /** The tool's absolute path; one that is not found is left to spawn to report (ENOENT). */
  private executable(file: string): string {
    if (file.includes('/')) return file;
    try {
      return hostTool(file);
    } catch {
      return file;
    }
  }

}

export interface RecordedCall {
  readonly argv: readonly string[];
  readonly input?: string;
}

export type Responder = (call: RecordedCall) => Partial<RunResult> | undefined;

/**
 * Records every command. Answers from `respond` (unit tests: a scripted kernel), or forwards to a
 * real runner (kernel tests: count the writes). Unanswered commands succeed with empty output.
 */
export class RecordingRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];

  constructor(private readonly backend: Responder | CommandRunner = () => undefined) {}

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const call: RecordedCall = opts.input === undefined ? { argv: [...argv] } : { argv: [...argv], input: opts.input };
    this.calls.push(call);
    if (typeof this.backend !== 'function') return this.backend.run(argv, opts);
    const result = { stdout: '', stderr: '', code: 0, ...this.backend(call) };
    if (result.code !== 0 && !opts.allowFail) throw new CommandError(argv, result.code, result.stderr, opts.input);
    return result;
  }

  /** The calls as text: one line per argv, each stdin line below it indented by two spaces. */
  text(): string {
    return this.calls.map(callText).join('');
  }

  clear(): void {
    this.calls.length = 0;
  }
}

export function callText(call: RecordedCall): string {
  const stdin = call.input === undefined ? '' : call.input.split('\n').filter((l) => l !== '').map((l) => `  ${l}\n`).join('');
  return `${call.argv.join(' ')}\n${stdin}`;
}
