// Several OS processes allocating from one SQLite file at once, as the weftd of every lab host on
// one machine do: the union of what they got has no duplicates, and the count is exactly right.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { overlaps, mustParsePrefix4 } from '../../src/ipam/cidr.js';
import { tempDir } from './stores.js';

const CHILD = fileURLToPath(new URL('./alloc-child.js', import.meta.url));

interface ChildResult {
  readonly ok: (string | number)[];
  readonly failed: number;
  readonly errors: string[];
}

interface Child {
  readonly ready: Promise<void>;
  readonly result: Promise<ChildResult>;
  go(): void;
}

function startChild(args: string[]): Child {
  const child = spawn(process.execPath, [CHILD, ...args], { env: { ...process.env, WEFT_IPAM_CHILD: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.on('error', () => {}); // EPIPE if it already exited: its close reports why
  const result = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`child exited ${code ?? signal}: ${err}`));
      // An empty exit 0 happens if the child's file is being rewritten by a build at that moment.
      if (!out.startsWith('ready\n')) return reject(new Error(`child exited before it was ready: ${JSON.stringify(out)} ${err}`));
      try {
        resolve(JSON.parse(out.slice('ready\n'.length)) as ChildResult);
      } catch (e) {
        reject(new Error(`child printed no result: ${JSON.stringify(out)} ${err}`, { cause: e }));
      }
    });
  });
  // A child that dies before "ready" must not leave the test waiting for it.
  return { ready: Promise.race([ready, result.then(() => {})]), result, go: () => child.stdin.end('go\n') };
}

/** Start every child, wait until all have opened the store, then let them allocate at once. */
async function runAll(n: number, args: (i: number) => string[]): Promise<ChildResult[]> {
  const children = Array.from({ length: n }, (_, i) => startChild(args(i)));
  // If one fails early the rest still finish; their outcome is awaited (or dropped) below.
  for (const c of children) c.result.catch(() => {});
  try {
    await Promise.all(children.map((c) => c.ready));
  } finally {
    for (const c of children) c.go();
  }
  return Promise.all(children.map((c) => c.result));
}

describe('IPAM across OS processes sharing one SQLite file', () => {
  it('addresses: no duplicates, exactly the requested count (property over process and request counts)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 5, max: 30 }), async (procs, each) => {
      const { dir, cleanup } = await tempDir();
      try {
        const pool = JSON.stringify({ subnet: '10.0.0.0/24', gateway: '10.0.0.1', auxAddresses: {} });
        const results = await runAll(procs, () => [join(dir, 'cluster.db'), 'addresses', 'net1', String(each), pool]);
        const all = results.flatMap((r) => r.ok);
        assert.deepEqual(results.flatMap((r) => r.errors), []);
        assert.equal(all.length, procs * each);
        assert.equal(new Set(all).size, all.length, 'an address was handed out twice');
      } finally {
        await cleanup();
      }
    }), { numRuns: 4 });
  });

  it('addresses: more requests than a /26 holds gives exactly 61 and moby\'s exhaustion error for the rest', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const pool = JSON.stringify({ subnet: '10.0.0.0/26', gateway: '10.0.0.1', auxAddresses: {} });
      const results = await runAll(4, () => [join(dir, 'cluster.db'), 'addresses', 'net1', '20', pool]);
      const all = results.flatMap((r) => r.ok);
      assert.equal(all.length, 61);
      assert.equal(new Set(all).size, 61);
      const errors = results.flatMap((r) => r.errors);
      assert.equal(errors.length, 80 - 61);
      for (const e of errors) assert.equal(e, 'unavailable: no available IPv4 addresses on this network\'s address pools: net1 (net1)');
    } finally {
      await cleanup();
    }
  });

  it('pools: concurrent default requests never overlap and fill 10.0.0.0/24 upwards without gaps', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const results = await runAll(4, (i) => [join(dir, 'cluster.db'), 'pools', `p${i}`, '6']);
      assert.deepEqual(results.flatMap((r) => r.errors), []);
      const subnets = results.flatMap((r) => r.ok as string[]).map(mustParsePrefix4);
      assert.equal(subnets.length, 24);
      for (let i = 0; i < subnets.length; i++) {
        for (let j = i + 1; j < subnets.length; j++) assert.ok(!overlaps(subnets[i]!, subnets[j]!), 'two pools overlap');
      }
      const thirds = subnets.map((p) => (p.addr >>> 8) & 0xff).sort((a, b) => a - b);
      assert.deepEqual(thirds, Array.from({ length: 24 }, (_, i) => i));
    } finally {
      await cleanup();
    }
  });

  it('VNIs: concurrent allocations are distinct and start at 256', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const results = await runAll(3, (i) => [join(dir, 'cluster.db'), 'vnis', `v${i}`, '10']);
      const vnis = results.flatMap((r) => r.ok as number[]).sort((a, b) => a - b);
      assert.deepEqual(vnis, Array.from({ length: 30 }, (_, i) => 256 + i));
    } finally {
      await cleanup();
    }
  });
});
