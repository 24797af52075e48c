// Throwaway network namespaces for the DNS tests, and clients that run inside them.
//
// Everything here stays inside namespaces the tests made: names carry the `wdns<4 hex>-` prefix,
// queries go only to 127.0.0.x inside such a namespace, and dig is always pointed at
// 127.0.0.11 explicitly so that it never falls back to the machine's resolver.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { promisify } from 'node:util';
import { loadNetnsAddon } from '../../../src/dataplane/netns-socket.js';

const execFileP = promisify(execFile);

export interface Netns {
  readonly name: string;
  readonly path: string;
  remove(): Promise<void>;
}

/** A fresh namespace with its loopback up. */
export async function makeNetns(tag: string): Promise<Netns> {
  const name = `wdns${randomBytes(2).toString('hex')}-${tag}`;
  await execFileP('ip', ['netns', 'add', name]);
  const ns: Netns = {
    name,
    path: `/run/netns/${name}`,
    remove: async () => {
      await execFileP('ip', ['netns', 'del', name]).catch(() => {});
    },
  };
  try {
    await execFileP('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await ns.remove();
    throw err;
  }
  return ns;
}

export interface DigRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  readonly data: string;
}

export interface DigResult {
  /** NOERROR, NXDOMAIN, SERVFAIL, ...; undefined when dig got no answer at all. */
  readonly status: string | undefined;
  readonly flags: readonly string[];
  readonly answers: readonly DigRecord[];
  readonly queryTimeMs: number | undefined;
  readonly output: string;
}

/** dig @127.0.0.11 inside the namespace; one try, 2 s. Extra args go before the name(s). */
export async function dig(ns: Netns, args: readonly string[]): Promise<DigResult[]> {
  const argv = [`--net=${ns.path}`, 'dig', '@127.0.0.11', '+time=2', '+tries=1', '+noall', '+comments', '+answer', '+stats', ...args];
  const { stdout } = await execFileP('nsenter', argv).catch((err: { stdout?: string; code?: number }) => {
    // dig exits 9 when no server answered; that is a result too.
    if (typeof err.stdout === 'string') return { stdout: err.stdout };
    throw err;
  });
  return parseDig(stdout);
}

export async function digOne(ns: Netns, name: string, ...opts: string[]): Promise<DigResult> {
  const [result] = await dig(ns, [...opts, name]);
  assertDefined(result, `dig printed nothing for ${name}`);
  return result;
}

/** One result per query in the output (dig prints a block per name). */
export function parseDig(output: string): DigResult[] {
  const blocks = output.split(/(?=^;; Got answer:|^;; connection timed out|^;; communications error)/m).filter((b) => /\S/.test(b));
  return blocks.map((block) => {
    const header = /status: ([A-Z]+)/.exec(block);
    const flags = /;; flags: ([a-z ]+);/.exec(block);
    const time = /;; Query time: (\d+) msec/.exec(block);
    const answers: DigRecord[] = [];
    const section = /;; ANSWER SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(block);
    for (const line of section?.[1]?.split('\n') ?? []) {
      const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.+)$/.exec(line.trim());
      if (m) answers.push({ name: m[1]!, ttl: Number(m[2]), type: m[3]!, data: m[4]!.trim() });
    }
    return {
      status: header?.[1],
      flags: flags?.[1]?.trim().split(/\s+/) ?? [],
      answers,
      queryTimeMs: time ? Number(time[1]) : undefined,
      output: block,
    };
  });
}

/** A UDP socket inside the namespace, bound to 127.0.0.1 on an ephemeral port: a test client. */
export function udpClientIn(ns: Netns): dgram.Socket {
  const load = loadNetnsAddon();
  if ('error' in load) throw load.error;
  const fd = load.addon.bindInNetns(ns.path, 'udp', '127.0.0.1', 0);
  const socket = dgram.createSocket('udp4');
  socket.bind({ fd });
  return socket;
}

function assertDefined<T>(value: T | undefined, message: string): asserts value is T {
  if (value === undefined) throw new Error(message);
}
