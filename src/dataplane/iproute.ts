// iproute2 plumbing: argv for `ip`/`bridge` in a namespace, batches on stdin, and `-json` reads.
// One `ip` process costs about 6 ms here, so writes go in batches of one process per namespace
// per step, and reads fetch a whole namespace at once where that saves a process.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CommandError, type CommandRunner } from './runner.js';

export type Tool = 'ip' | 'bridge';

/** `ns` undefined means the calling process's own namespace (weftd runs inside its lab host). */
export function toolArgv(tool: Tool, ns: string | undefined, ...args: string[]): string[] {
  return ns === undefined ? [tool, ...args] : [tool, '-n', ns, ...args];
}

/** Commands for one process: the unit in which the data plane writes to the kernel. */
export interface Batch {
  readonly tool: Tool;
  readonly ns: string | undefined;
  readonly lines: readonly string[];
  /**
   * `ip` lines for another (named) namespace, run after `lines` by the same process: its last
   * line is `netns exec <ns> ip -force -batch <file>`, the lines written to a temporary file
   * first. `ip` forking costs about a millisecond; a process spawned by weftd costs several
   * (Node forks its whole address space). A file, because Node's stdio pipes are socketpairs,
   * which /dev/fd/N cannot reopen.
   */
  readonly then?: { readonly ns: string; readonly lines: readonly string[] };
}

let batchFiles = 0;

export const ipBatch = (ns: string | undefined, lines: readonly string[]): Batch => ({ tool: 'ip', ns, lines });
export const bridgeBatch = (ns: string | undefined, lines: readonly string[]): Batch => ({ tool: 'bridge', ns, lines });

/**
 * `-force` keeps going past a failed line so one report names every failure; the process still
 * exits non-zero and the runner throws. (`ip neigh del` of a missing entry is the exception: it
 * exits at once, whatever `-force` says. See peers.ts.)
 */
export async function runBatch(runner: CommandRunner, batch: Batch, opts: { tolerateGone?: boolean } = {}): Promise<void> {
  const child = batch.then?.lines.length
    ? { ...batch.then, file: path.join(os.tmpdir(), `weft-ip-${process.pid}-${++batchFiles}.batch`) }
    : undefined;
  if (batch.lines.length === 0 && child === undefined) return;
  const lines = child === undefined ? batch.lines : [...batch.lines, `netns exec ${child.ns} ip -force -batch ${child.file}`];
  const argv = toolArgv(batch.tool, batch.ns, '-force', '-batch', '-');
  const input = `${lines.join('\n')}\n`;
  try {
    if (child !== undefined) await fs.writeFile(child.file, `${child.lines.join('\n')}\n`, { mode: 0o600 });
    const r = await runner.run(argv, { input, allowFail: true });
    if (r.code !== 0 && !(opts.tolerateGone && isAlreadyGone(r.stderr))) {
      const shown = child === undefined ? input : `${input}${child.lines.map((l) => `(in ${child.ns}) ${l}\n`).join('')}`;
      throw new CommandError(argv, r.code, r.stderr, shown);
    }
  } finally {
    if (child !== undefined) await fs.rm(child.file, { force: true });
  }
}

/** Steps run in order; the batches inside one step touch different namespaces and run together. */
export async function runSteps(runner: CommandRunner, steps: readonly (readonly Batch[])[]): Promise<void> {
  for (const step of steps) {
    await Promise.all(step.map((b) => runBatch(runner, b)));
  }
}

// ---- reads -------------------------------------------------------------------------------------

export interface IpAddrInfo {
  readonly family: string;
  readonly local: string;
  readonly prefixlen: number;
}

export interface IpLink {
  readonly ifindex: number;
  readonly ifname: string;
  readonly flags?: readonly string[];
  readonly mtu: number;
  readonly master?: string;
  readonly address?: string;
  readonly link_index?: number;
  readonly linkinfo?: {
    readonly info_kind?: string;
    readonly info_data?: Readonly<Record<string, unknown>>;
  };
  readonly addr_info?: readonly IpAddrInfo[];
}

export interface IpRoute {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
}

export interface IpNeigh {
  readonly dst: string;
  readonly lladdr?: string;
  readonly state?: readonly string[];
}

export interface FdbEntry {
  readonly mac: string;
  readonly dst?: string;
  readonly flags?: readonly string[];
  readonly master?: string;
  readonly state?: string;
}

export const isUp = (link: IpLink): boolean => link.flags?.includes('UP') ?? false;
export const kindOf = (link: IpLink): string | undefined => link.linkinfo?.info_kind;
export const inetAddrs = (link: IpLink): string[] =>
  (link.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);

/** `ip -json` prints nothing at all for some empty dumps (e.g. `netns list`). */
export function parseJsonArray<T>(text: string): T[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const value: unknown = JSON.parse(trimmed);
  if (!Array.isArray(value)) throw new Error(`expected a JSON array from iproute2, got: ${trimmed.slice(0, 200)}`);
  return value as T[];
}

/** A `-json -batch` read prints one compact JSON document per command, one per line. */
export function parseJsonLines(text: string): unknown[][] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => parseJsonArray(l));
}

const NO_NETNS = /Cannot open network namespace/;
const NO_DEVICE = /does not exist|Cannot find device/;

export class NetnsMissing extends Error {
  constructor(readonly ns: string) {
    super(`network namespace ${ns} does not exist`);
    this.name = 'NetnsMissing';
  }
}

/**
 * Reads with `-json`. Returns undefined when the named device does not exist, and throws
 * NetnsMissing when the namespace does not, so callers can treat either as "absent".
 */
export async function readJson<T>(runner: CommandRunner, tool: Tool, ns: string | undefined, args: string[]): Promise<T[] | undefined> {
  const argv = toolArgv(tool, ns, '-json', ...args);
  const r = await runner.run(argv, { allowFail: true });
  if (r.code === 0) return parseJsonArray<T>(r.stdout);
  if (ns !== undefined && NO_NETNS.test(r.stderr)) throw new NetnsMissing(ns);
  if (NO_DEVICE.test(r.stderr)) return undefined;
  throw new CommandError(argv, r.code, r.stderr);
}

/** Every link with details and addresses, in one process. */
export async function readLinks(runner: CommandRunner, ns: string | undefined): Promise<IpLink[]> {
  return (await readJson<IpLink>(runner, 'ip', ns, ['-d', 'addr', 'show'])) ?? [];
}

/** One link with details, or undefined if it does not exist. */
export async function readLink(runner: CommandRunner, ns: string | undefined, name: string): Promise<IpLink | undefined> {
  const links = await readJson<IpLink>(runner, 'ip', ns, ['-d', 'addr', 'show', 'dev', name]);
  return links?.[0];
}

export async function absentIfNoNetns<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof NetnsMissing) return undefined;
    throw err;
  }
}

/** Deletes that may find nothing to delete (STYLE §9: delete is safe to repeat). */
export function isAlreadyGone(stderr: string): boolean {
  const failures = stderr.split('\n').filter((l) => l.trim() !== '' && !/^Command failed -:\d+$/.test(l));
  return failures.length > 0 && failures.every((l) => NO_NETNS.test(l) || NO_DEVICE.test(l) || /No such file or directory/.test(l));
}

/** Several reads of one namespace in one process; each command must dump without filters, since
 * a failed filtered show prints nothing and would shift the results. */
export async function readMany(runner: CommandRunner, ns: string, options: string[], commands: readonly string[]): Promise<unknown[][]> {
  const argv = toolArgv('ip', ns, ...options, '-json', '-batch', '-');
  const r = await runner.run(argv, { input: `${commands.join('\n')}\n`, allowFail: true });
  if (r.code !== 0) {
    if (NO_NETNS.test(r.stderr)) throw new NetnsMissing(ns);
    throw new CommandError(argv, r.code, r.stderr);
  }
  const docs = parseJsonLines(r.stdout);
  if (docs.length !== commands.length) throw new Error(`${argv.join(' ')}: expected ${commands.length} JSON documents, got ${docs.length}`);
  return docs;
}
