// The founding walkthrough, end to end: `scripts/demo.sh` (what `make demo` runs) on a lab of its
// own, with its whole transcript asserted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { labConfig, labResidue, removeLab, repoRoot } from '../../src/lab/index.js';

function runDemo(lab: string, store: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repoRoot(), 'scripts', 'demo.sh'), [], {
      env: { ...process.env, WEFT_LAB: lab, STORE: store, KEEP: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** The transcript split into steps: the `$ [host] docker …` line and the output under it. */
function steps(transcript: string): { command: string; output: string }[] {
  const out: { command: string; output: string[] }[] = [];
  for (const line of transcript.split('\n')) {
    if (line.startsWith('$ ')) out.push({ command: line.slice(2), output: [] });
    else out.at(-1)?.output.push(line);
  }
  return out.map((s) => ({ command: s.command, output: s.output.join('\n') }));
}

export function assertWalkthrough(transcript: string): void {
  const all = steps(transcript);
  const docker = all.filter((s) => s.command.startsWith('['));
  assert.deepEqual(
    docker.map((s) => s.command),
    [
      '[host1] docker network ls',
      '[host2] docker network ls',
      '[host1] docker network create -d overlay appnet',
      '[host1] docker network ls',
      '[host2] docker network ls',
      '[host2] docker network inspect appnet',
      '[host1] docker run -d --name mongo --net=appnet busybox httpd -f -p 80 -h /',
      '[host2] docker run -ti --name box --net=appnet busybox sh',
      "[host1] docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' mongo",
    ],
  );
  const [ls1, ls2, create, ls1after, ls2after, inspect, runMongo, session, addr] = docker.map((s) => s.output);
  for (const ls of [ls1!, ls2!]) {
    assert.match(ls, /^NETWORK ID {5}NAME {6}DRIVER {4}SCOPE$/m);
    for (const [name, driver] of [['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]) {
      assert.match(ls, new RegExp(`^[0-9a-f]{12} +${name} +${driver} +local$`, 'm'));
    }
  }
  const id = create!.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  for (const ls of [ls1after!, ls2after!]) assert.match(ls, new RegExp(`^${id.slice(0, 12)} +appnet +overlay +global$`, 'm'));
  assert.match(inspect!, /"Subnet": "10\.0\.0\.0\/24"/);
  assert.match(inspect!, /"Gateway": "10\.0\.0\.1"/);
  assert.match(inspect!, new RegExp(`"Id": "${id}"`));
  assert.match(runMongo!.trim(), /^[0-9a-f]{64}$/);
  // The interactive session as the terminal showed it: each typed line at a prompt, its output
  // under it, and nothing but text (no control sequences, no carriage returns).
  assert.doesNotMatch(session!, /[\r\x1b]/);
  assert.deepEqual(session!.split('\n').filter((l) => l.startsWith('/ # ')), [
    '/ # ping -c 3 mongo', '/ # ping -c 3 mongo.appnet', '/ # exit',
  ]);
  assert.match(session!, /^\/ # ping -c 3 mongo\nPING mongo \(10\.0\.0\.2\)/m);
  assert.match(session!, /^\/ # ping -c 3 mongo\.appnet\nPING mongo\.appnet \(10\.0\.0\.2\)/m);
  // Counted by what follows the size: once in a while a terminal redraw has eaten the line's first
  // character in the cleaned-up transcript (seen once as "4 bytes from").
  const replies = session!.match(/bytes from 10\.0\.0\.2: seq=\d+ ttl=64/gm) ?? [];
  assert.equal(replies.length, 6, session);
  assert.equal(session!.match(/^3 packets transmitted, 3 packets received, 0% packet loss$/gm)?.length, 2, session);
  assert.match(session!, /\n\/ # exit\n?$/);
  assert.equal(addr!.trim(), '10.0.0.2');
}

// Once per store backend, like libnetwork's overlay-{etcd,consul,zookeeper} tests. For etcd and
// ZooKeeper the demo first runs the store on a lab machine of its own, `kv`.
describe('the founding walkthrough (make demo)', () => {
  for (const store of ['sqlite', 'etcd', 'zookeeper']) {
    it(`runs end to end on ${store} and removes its lab`, async () => {
      const lab = `wtdemo${randomBytes(3).toString('hex')}`;
      try {
        const r = await runDemo(lab, store);
        assert.equal(r.code, 0, `demo failed:\n${r.stdout}\n${r.stderr}`);
        assertWalkthrough(r.stdout);
        if (store !== 'sqlite') {
          const scheme = store === 'etcd' ? 'etcd' : 'zk';
          assert.match(r.stdout, new RegExp(`^\\$ weft machine create --engine-opt cluster-store=${scheme}://198\\.18\\.0\\.\\d+:\\d+ host1$`, 'm'));
        }
        const left = labResidue(labConfig({ name: lab }));
        assert.deepEqual([left.netns, left.processes.length, left.mounts, left.paths], [[], 0, [], []]);
      } finally {
        await removeLab(labConfig({ name: lab }));
      }
    });
  }
});
