// Drive a command through a pseudo-terminal, as a user at a terminal would (`docker run -ti` wants
// its stdin to be one), from a test process that has no terminal at all (CI has no standard input
// and no controlling terminal):
//
//   const s = spawnPty([DOCKER, '-H', host, 'run', '-ti', 'busybox', 'sh'], { rows: 30, cols: 100 });
//   try {
//     await s.expect('/ # ');
//     s.write('echo hi\r');
//     await s.expect(/^hi$/m);
//     s.write('exit\r');
//     assert.equal((await s.exited).code, 0);
//   } finally {
//     await s.stop();
//   }
//
// util-linux `script` makes the pty: its child gets the slave as controlling terminal and stdio;
// script copies what is written here to the master and the master's output to its stdout. It
// needs no terminal of its own: its stdin is a pipe. Type keys as a terminal sends them (Enter is
// "\r", Ctrl-C "\x03"). Output is matched after rendering (renderTerminal): control sequences
// dropped, carriage returns applied, lines joined with "\n".
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PtyOptions {
  /** The terminal's size, set before the command starts (default 24×80). */
  readonly rows?: number;
  readonly cols?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** The session is killed after this long; `exited` then has code 124. Default 120 s. */
  readonly timeoutMs?: number;
}

export interface PtyResult {
  /** The command's exit code (128+n if a signal ended it; 124 on timeout). */
  readonly code: number;
  /** Everything it wrote to the terminal, raw. */
  readonly raw: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Renders what a terminal would show: printable text at the cursor (overwriting), "\r" back to
 * the line's start, "\b" one back, erase-line and erase-display (CSI K, CSI J) cut the line at the
 * cursor; every other escape or control sequence is dropped. Finished lines lose trailing blanks.
 */
export function renderTerminal(raw: string): string {
  const lines: string[] = [];
  let line: string[] = [];
  let col = 0;
  const chars = [...raw];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\x1b') {
      const next = chars[i + 1];
      if (next === '[') {
        let j = i + 2;
        while (j < chars.length && !/[@-~]/.test(chars[j]!)) j++;
        const final = chars[j];
        if (final === 'K' || final === 'J') line.length = Math.min(line.length, col);
        i = j;
      } else if (next === ']') {
        // OSC: up to BEL or ESC \
        let j = i + 2;
        while (j < chars.length && chars[j] !== '\x07' && !(chars[j] === '\x1b' && chars[j + 1] === '\\')) j++;
        i = chars[j] === '\x1b' ? j + 1 : j;
      } else if (next === '(' || next === ')') {
        i += 2;
      } else {
        i += 1;
      }
    } else if (ch === '\r') {
      col = 0;
    } else if (ch === '\n') {
      lines.push(line.join('').trimEnd());
      line = [];
      col = 0;
    } else if (ch === '\b') {
      col = Math.max(0, col - 1);
    } else if (ch >= ' ' && ch !== '\x7f') {
      while (line.length < col) line.push(' ');
      line[col++] = ch;
    }
  }
  // The line being written is kept whole (it may end in a prompt's blank), even when empty, so
  // that a finished line shows its "\n".
  lines.push(line.join(''));
  return lines.join('\n');
}

/** Output to wait on: each expect() searches what came after the previous match. */
export class TerminalOutput {
  private raw = '';
  private cursor = 0;
  private waiters = new Set<() => void>();
  private ended = false;

  push(data: string | Buffer): void {
    this.raw += data.toString();
    for (const w of [...this.waiters]) w();
  }

  end(): void {
    this.ended = true;
    for (const w of [...this.waiters]) w();
  }

  /** Everything so far, raw. */
  get text(): string {
    return this.raw;
  }

  /** Everything so far, as the terminal shows it. */
  get screen(): string {
    return renderTerminal(this.raw);
  }

  /**
   * Resolves with the first match of `pattern` in the rendered output after the last match;
   * rejects (showing the output) after `timeoutMs`, or if the output ends without one.
   */
  expect(pattern: RegExp | string, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    return new Promise((resolve, reject) => {
      const check = () => {
        const screen = this.screen;
        const m = new RegExp(re.source, re.flags.replace('g', '')).exec(screen.slice(this.cursor));
        if (m) {
          this.cursor += m.index + m[0].length;
          done();
          resolve(m);
        } else if (this.ended) {
          done();
          reject(new Error(`output ended without ${re}; it was:\n${screen}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}; the output was:\n${this.screen}\n(raw, last 300: ${JSON.stringify(this.raw.slice(-300))})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

export interface PtySession {
  /** script's PID (the command is its child). */
  readonly pid: number;
  readonly output: TerminalOutput;
  /** Bytes as the terminal sends them: "\r" for Enter, "\x03" for Ctrl-C. */
  write(data: string | Buffer): void;
  expect(pattern: RegExp | string, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Changes the terminal's size: the command gets SIGWINCH. */
  resize(rows: number, cols: number): Promise<void>;
  /** Ends the input (script then sends the command an EOF character). */
  closeInput(): void;
  readonly exited: Promise<PtyResult>;
  /** Kills the command and script, by PID, and waits for the end; safe to call twice. */
  stop(): Promise<void>;
}

/** The slave's descriptor in script, from outside: /proc/<pid>/fd/<n> (UNIX98 slaves: majors 136–143). */
function slaveOf(pid: number): string {
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const path = `/proc/${pid}/fd/${fd}`;
    try {
      const st = statSync(path, { bigint: true });
      const major = Number((st.rdev >> 8n) & 0xfffn);
      if (st.isCharacterDevice() && major >= 136 && major <= 143) return path;
    } catch {
      // closed meanwhile
    }
  }
  throw new Error(`script ${pid} holds no pty slave`);
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function spawnPty(argv: readonly string[], opts: PtyOptions = {}): PtySession {
  const rows = opts.rows ?? 24;
  const cols = opts.cols ?? 80;
  const command = `stty rows ${rows} cols ${cols} && exec ${argv.map(quote).join(' ')}`;
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
    // Its own process group: signals meant for the test runner never reach it.
    detached: true,
  });
  const output = new TerminalOutput();
  child.stdout.on('data', (d: Buffer) => output.push(d));
  child.stderr.on('data', (d: Buffer) => output.push(d));
  child.stdin.on('error', () => undefined);
  let timedOut = false;
  let ended = false;
  const kill = () => {
    if (ended) return;
    for (const pid of childrenOf(child.pid ?? 0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, opts.timeoutMs ?? 120_000);
  const exited = new Promise<PtyResult>((resolve) => {
    child.on('error', (err) => {
      output.push(`\n[spawning script failed: ${err.message}]\n`);
    });
    child.on('close', (code, signal) => {
      ended = true;
      clearTimeout(timer);
      output.end();
      const exit = timedOut ? 124 : signal ? 128 + constants.signals[signal] : (code ?? 1);
      resolve({ code: exit, raw: output.text });
    });
  });
  return {
    pid: child.pid ?? 0,
    output,
    write: (data) => {
      if (!child.stdin.destroyed) child.stdin.write(data);
    },
    expect: (pattern, timeoutMs) => output.expect(pattern, timeoutMs),
    resize: async (r, c) => {
      await run('stty', ['-F', slaveOf(child.pid ?? 0), 'rows', String(r), 'cols', String(c)]);
    },
    closeInput: () => child.stdin.end(),
    exited,
    stop: async () => {
      kill();
      await exited;
    },
  };
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, tty_nr, tpgid, …]. */
export function procStat(pid: number): string[] {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

/** The command of the child of `pid` that is the foreground job of its terminal, if any. */
export function foregroundJob(pid: number): string | undefined {
  let children: string[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
  for (const child of children) {
    try {
      const [, , pgrp, , , tpgid] = procStat(Number(child));
      if (pgrp === tpgid) return readFileSync(`/proc/${child}/comm`, 'utf8').trim();
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}
