// Drive a lab host with the real docker CLI, as a user would: `docker -H unix://… <args>`.
import { spawn } from 'node:child_process';
import type { TestLab } from './lab.js';

export const DOCKER = '/usr/local/bin/docker';

export interface DockerResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function docker(lab: TestLab, machine: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER, ['-H', lab.host(machine), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DOCKER_CONFIG: '/tmp/weft-test-docker-config' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Like `docker`, but fails the test with the CLI's own words unless it exits 0. */
export async function dockerOk(lab: TestLab, machine: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await docker(lab, machine, args, opts);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${machine} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
