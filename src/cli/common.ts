// What every `weft` Docker-style command shares: where output goes, how failures are worded
// (docker's "Error response from daemon: …"), and docker's flag conventions.

import { ConnectionError, DaemonError, type DockerClient } from './client.js';

export interface CliOutput {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Records a failed command's exit code (default: process.exitCode). */
  readonly setExitCode: (code: number) => void;
}

export const defaultOutput: CliOutput = {
  stdout: process.stdout,
  stderr: process.stderr,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/** A failure already phrased for the user; the command exits 1. */
export class UsageError extends Error {}

/** commander's collector for repeatable flags (`--label a --label b`). */
export const collect = (value: string, previous: string[]) => [...previous, value];

/** `-f k=v` flags → Docker's filters JSON (map[string]map[string]bool). */
export function filtersJson(flags: readonly string[]): string | undefined {
  if (flags.length === 0) return undefined;
  const args: Record<string, Record<string, boolean>> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid argument "${flag}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    const key = flag.slice(0, eq).trim().toLowerCase();
    (args[key] ??= {})[flag.slice(eq + 1).trim()] = true;
  }
  return JSON.stringify(args);
}

/** docker's ConvertKVStringsToMap: `k=v`, or `k` alone for an empty value. */
export function kvMap(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** How the CLI words a failure on stderr. */
export function errorLine(err: unknown): string {
  if (err instanceof DaemonError) return `Error response from daemon: ${err.message}`;
  if (err instanceof ConnectionError || err instanceof UsageError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs command actions with a fresh client (called after option parsing, so the global `-H` is
 * known), reporting any failure docker's way: the error on stderr and exit code 1.
 */
export function actionRunner(client: () => DockerClient, output: CliOutput) {
  return async (action: (c: DockerClient) => Promise<void>): Promise<void> => {
    let c: DockerClient | undefined;
    try {
      c = client();
      await action(c);
    } catch (err) {
      output.stderr.write(errorLine(err) + '\n');
      output.setExitCode(1);
    } finally {
      c?.close();
    }
  };
}
