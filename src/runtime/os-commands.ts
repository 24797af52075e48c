// The one place in the runtime that runs short-lived OS commands (tar, ip, …) and finds the
// util-linux tools that containers are started with. Long-lived container processes are spawned
// by sandbox-process.ts, which uses the paths resolved here.

import { spawn } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const detail = stderr.trim() || `exit code ${exitCode}`;
    super(`${command} ${args.join(' ')}: ${detail}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  readonly input?: string | Buffer;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Runs a command to completion and returns its stdout; rejects with CommandError on failure. */
export function runCommand(command: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new CommandError(command, args, null, e.message)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new CommandError(command, args, code, Buffer.concat(err).toString('utf8')));
    });
    if (opts.input !== undefined && child.stdin) child.stdin.end(opts.input);
  });
}

export { hostPath, hostTool } from '../util/host-tool.js';
