// Running `weft machine …` / `weft lab …` as a user does, for the lab tests: a separate process,
// stdout and stderr apart, exit code kept.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../src/lab/index.js';
import { testWeftdCommand, type ExecResult, type TestLab } from '../helpers/lab.js';

const fixture = () => path.join(repoRoot(), 'dist', 'test', 'lab', 'fixtures', 'weft-machine.js');

/** `weft <args>` in `lab`; `entry` picks the CLI entry (default: this layer's commands only). */
export function weft(lab: TestLab, args: readonly string[], entry = fixture()): Promise<ExecResult> {
  const env = {
    ...process.env,
    WEFT_LAB: lab.name,
    WEFT_LAB_WEFTD: testWeftdCommand(lab.realWeftd ? 'real' : 'stand-in').argv.join(' '),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
