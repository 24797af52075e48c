// The lab on the real kernel: machines as namespaces on a LAN bridge, each with its own hostname
// and weftd, driven through `weft machine …`, and removed without a trace, even when killed.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isWeftError } from '../../src/errors.js';
import {
  LAN_GATEWAY,
  createMachine,
  inLan,
  inspectMachine,
  labConfig,
  labResidue,
  machineDataRoot,
  machineExecRoot,
  machineNetnsPrefix,
  removeLab,
  repoRoot,
  startMachine,
  stopMachine,
} from '../../src/lab/index.js';
import { lockFile, machinesFile } from '../../src/lab/naming.js';
import { labProcesses } from '../../src/lab/ownership.js';
import { createTestLab, withLab, type TestLab } from '../helpers/lab.js';
import { weft } from './cli.js';

const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
function get(socketPath: string, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: urlPath }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}
const netnsOf = (lab: TestLab) => labResidue(lab.labConfig).netns;

/** A stand-in for a container of `host`: a namespace with weftd's prefix, a process, mounts. */
function fakeContainer(lab: TestLab, host: string, id: string): number {
  const cfg = lab.labConfig;
  const netns = `${machineNetnsPrefix(cfg, host)}${id}`;
  sh('ip', 'netns', 'add', netns);
  const rootfs = path.join(machineDataRoot(cfg, host), 'containers', id, 'rootfs');
  fs.mkdirSync(rootfs, { recursive: true });
  sh('mount', '-t', 'tmpfs', `${lab.name}-rootfs`, rootfs);
  fs.mkdirSync(path.join(rootfs, 'proc'));
  sh('mount', '-t', 'tmpfs', `${lab.name}-nested`, path.join(rootfs, 'proc'));
  const shm = path.join(machineExecRoot(cfg, host), id, 'shm');
  fs.mkdirSync(shm, { recursive: true });
  sh('mount', '-t', 'tmpfs', `${lab.name}-shm`, shm);
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, 'sleep', '1000'], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid!;
}

const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

function assertNoTraceOf(lab: TestLab, host: string): void {
  const r = labResidue(lab.labConfig);
  assert.deepEqual(r.netns.filter((n) => n === `${lab.name}-${host}` || n.startsWith(`${lab.name}-${host}-`)), []);
  assert.deepEqual(r.processes.filter((p) => p.owner === host), []);
  assert.deepEqual(r.mounts.filter((m) => m.includes(`/${host}`)), []);
}

function assertLabGone(lab: TestLab): void {
  assert.deepEqual(labResidue(lab.labConfig), { netns: [], processes: [], mounts: [], paths: [] });
}

describe('lab machines', () => {
  it('get distinct LAN addresses, their own hostnames, and reach each other over the LAN', async () => {
    await withLab('lan', async (lab) => {
      const rootHostname = os.hostname();
      // This box's own eth0 may sit in 192.0.2.0/24 too: compare, don't just search. (Only lab
      // addresses, so that other work on this box cannot disturb the check.)
      const rootNet = () => [sh('ip', '-o', '-4', 'addr').match(/198\.18\.0\.\d+\/\d+/g), sh('ip', '-o', 'link').match(/\blan0\b|alias host\d/g)];
      const rootNetBefore = rootNet();
      const [h1, h2] = [await lab.createMachine('host1'), await lab.createMachine('host2')];
      assert.equal(h1.ip, '198.18.0.2');
      assert.equal(h2.ip, '198.18.0.3');
      assert.deepEqual(netnsOf(lab), [`${lab.name}-host1`, `${lab.name}-host2`, `${lab.name}-lan`]);

      for (const [from, to] of [['host1', h2.ip], ['host2', h1.ip]] as const) {
        const ping = await weft(lab, ['machine', 'exec', from, 'ping', '-c', '1', '-W', '2', to]);
        assert.equal(ping.code, 0, ping.stdout + ping.stderr);
        assert.match(ping.stdout, /1 received/);
      }
      assert.equal((await lab.exec('host1', ['hostname'])).stdout, 'host1\n');
      assert.equal((await weft(lab, ['machine', 'exec', 'host2', 'hostname'])).stdout, 'host2\n');
      // Nothing of the lab in this machine's root namespace.
      assert.deepEqual(rootNet(), rootNetBefore);
      assert.equal(sh('hostname').trim(), rootHostname);
    });
  });

  it('created concurrently, still get one address each', async () => {
    await withLab('par', async (lab) => {
      const names = ['host1', 'host2', 'host3', 'host4'];
      const machines = await Promise.all(names.map((n) => lab.createMachine(n)));
      assert.deepEqual(new Set(machines.map((m) => m.ip)).size, names.length);
      const last = machines.at(-1)!;
      const ping = await lab.exec('host1', ['ping', '-c', '1', '-W', '2', last.ip]);
      assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    });
  });

  it('ip and config print only the value on stdout; exec passes the exit code through', async () => {
    await withLab('cli', async (lab) => {
      const created = await weft(lab, ['machine', 'create', 'host1']);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(created.stdout, '');

      const ip = await weft(lab, ['machine', 'ip', 'host1']);
      assert.deepEqual([ip.code, ip.stdout], [0, '198.18.0.2\n']);
      const config = await weft(lab, ['machine', 'config', 'host1']);
      assert.deepEqual([config.code, config.stdout], [0, `-H unix:///run/weft/${lab.name}/host1.sock\n`]);
      assert.equal(lab.config('host1'), config.stdout.trim());

      const exit3 = await weft(lab, ['machine', 'exec', 'host1', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual([exit3.code, exit3.stdout, exit3.stderr], [3, 'out\n', 'err\n']);
      const flags = await weft(lab, ['machine', 'exec', 'host1', 'sh', '-c', 'exit 0', '-H', 'x']);
      assert.equal(flags.code, 0, flags.stderr);
      assert.equal((await lab.exec('host1', ['sh', '-c', 'exit 42'])).code, 42);

      const ls = await weft(lab, ['machine', 'ls']);
      const [header, row] = ls.stdout.trim().split('\n');
      assert.deepEqual(header!.split(/\s+/), ['NAME', 'IP', 'STORE', 'PID', 'STATE']);
      assert.match(row!, new RegExp(`^host1\\s+198\\.18\\.0\\.2\\s+sqlite:///var/lib/weft/labs/${lab.name}/cluster\\.db\\s+\\d+\\s+running$`));

      const missing = await weft(lab, ['machine', 'ip', 'nosuch']);
      assert.deepEqual([missing.code, missing.stdout], [1, '']);
      assert.match(missing.stderr, /Host does not exist: "nosuch"/);
    });
  });

  it('config drives the docker CLI: docker $(weft machine config host1) network ls', async (t) => {
    const docker = ['/usr/local/bin/docker', '/usr/bin/docker'].find((d) => fs.existsSync(d));
    if (!docker) return t.skip('no docker CLI on this machine');
    await withLab('docker', async (lab) => {
      if (!lab.realWeftd) return t.skip('needs the real weftd');
      await lab.createMachine('host1');
      const cli = `${process.execPath} ${path.join(repoRoot(), 'dist', 'test', 'lab', 'fixtures', 'weft-machine.js')}`;
      const out = sh('sh', '-c', `export WEFT_LAB=${lab.name}; ${docker} $(${cli} machine config host1) network ls --format '{{.Name}}'`);
      assert.deepEqual(out.trim().split('\n').sort(), ['bridge', 'host', 'none']);
    });
  });

  it('refuses to create a machine that exists, and leaves the first one alone', async () => {
    await withLab('dup', async (lab) => {
      const first = await lab.createMachine('host1');
      await assert.rejects(lab.createMachine('host1'), (e: unknown) => isWeftError(e, 'conflict') && /already exists/.test(e.message));
      const again = await weft(lab, ['machine', 'create', 'host1']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /Host already exists: "host1"/);
      const now = await inspectMachine(lab.labConfig, 'host1');
      assert.deepEqual([now.state, now.pid, now.ip], ['running', first.pid, first.ip]);
    });
  });

  it('starts weftd with the lab store, eth1:2376, --dns none and its own paths', async () => {
    // The stand-in reports the flags and hostname it was started with.
    await withLab('args', async (lab) => {
      await lab.createMachine('host1', { dns: ['198.18.0.1'], leaseTtl: 5 });
      await lab.createMachine('host2');
      const args = async (host: string) => JSON.parse(await get(lab.socketPath(host), '/_standin')) as { args: string[]; hostname: string };
      const flags = async (host: string) => (await args(host)).args.join(' ');
      assert.equal(
        await flags('host1'),
        `-H unix:///run/weft/${lab.name}/host1.sock --data-root /var/lib/weft/labs/${lab.name}/machines/host1/data ` +
          `--exec-root /run/weft/${lab.name}/host1 --netns-prefix ${lab.name}-host1- --hostname host1 ` +
          `--cluster-store sqlite:///var/lib/weft/labs/${lab.name}/cluster.db --cluster-advertise eth1:2376 --dns 198.18.0.1 --lease-ttl 5`,
      );
      assert.match(await flags('host2'), / --dns none$/);
      assert.equal((await args('host2')).hostname, 'host2');
    }, { weftd: 'stand-in' });
  });

  it('stops and starts a weftd without touching its namespaces', async () => {
    await withLab('stop', async (lab) => {
      const h1 = await lab.createMachine('host1');
      await stopMachine(lab.labConfig, 'host1', { kill: true });
      const stopped = await inspectMachine(lab.labConfig, 'host1');
      assert.deepEqual([stopped.state, stopped.pid], ['stopped', undefined]);
      assert.equal((await lab.exec('host1', ['hostname'])).stdout, 'host1\n'); // UTS outlives weftd
      const started = await startMachine(lab.labConfig, 'host1');
      assert.equal(started.state, 'running');
      assert.notEqual(started.pid, h1.pid);
    });
  });
});

describe('lab removal', () => {
  it('rm removes a machine whose weftd was killed -9 while its containers run, and spares the others', async () => {
    await withLab('kill', async (lab) => {
      const h1 = await lab.createMachine('host1');
      const h2 = await lab.createMachine('host2');
      const container = fakeContainer(lab, 'host1', 'c0ffee');
      process.kill(h1.pid!, 'SIGKILL');
      assert.ok(labResidue(lab.labConfig).mounts.length >= 3);

      const rm = await weft(lab, ['machine', 'rm', 'host1']);
      assert.equal(rm.code, 0, rm.stderr);
      assertNoTraceOf(lab, 'host1');
      assert.equal(alive(container), false);
      assert.equal(fs.existsSync(lab.socketPath('host1')), false);

      const h2now = await inspectMachine(lab.labConfig, 'host2');
      assert.deepEqual([h2now.state, h2now.pid], ['running', h2.pid]);
      assert.deepEqual(netnsOf(lab), [`${lab.name}-host2`, `${lab.name}-lan`]);
      // host1's address is free again, and a new machine gets it.
      assert.equal((await lab.createMachine('host3')).ip, h1.ip);
    });
  });

  it('removing the last machine removes the LAN and the lab\'s directories', async () => {
    const lab = await createTestLab('last');
    try {
      await lab.createMachine('host1');
      await lab.createMachine('host2');
      fakeContainer(lab, 'host2', 'beef');
      // A service of the lab's own on the LAN (a store, a resolver) goes with the lab.
      const [cmd, ...args] = inLan(lab.labConfig, ['sleep', '1000']);
      const service = spawn(cmd!, args, { detached: true, stdio: 'ignore' });
      service.unref();
      const ping = await lab.exec('host1', ['ping', '-c', '1', '-W', '2', LAN_GATEWAY]);
      assert.equal(ping.code, 0, ping.stdout + ping.stderr);

      const rm = await weft(lab, ['machine', 'rm', 'host1', 'host2']);
      assert.equal(rm.code, 0, rm.stderr);
      assertLabGone(lab);
      assert.equal(alive(service.pid!), false);
    } finally {
      await lab.remove();
    }
  });

  it('lab rm removes leftovers of a killed run: forgotten machines.json, deleted namespace, stale lock', async () => {
    const lab = await createTestLab('left');
    const cfg = lab.labConfig;
    try {
      const h1 = await lab.createMachine('host1');
      await lab.createMachine('host2');
      fakeContainer(lab, 'host2', 'c1');
      // A killed run: the record is gone, host1's namespace was deleted under a live weftd (which
      // keeps it alive, nameless), and a dead process holds the lock.
      fs.rmSync(machinesFile(cfg));
      sh('ip', 'netns', 'del', `${lab.name}-host1`);
      const dead = spawn('true');
      await new Promise((resolve) => dead.on('close', resolve));
      fs.writeFileSync(lockFile(cfg), `${dead.pid} 0\n`);
      assert.ok(labProcesses(cfg).some((p) => p.pid === h1.pid && p.isWeftd));

      const rm = await weft(lab, ['lab', 'rm']);
      assert.equal(rm.code, 0, rm.stderr);
      assertLabGone(lab);
      assert.equal(alive(h1.pid!), false);
    } finally {
      await lab.remove();
    }
  });

  it('create cleans up leftovers of machines it has no record of, and goes on', async () => {
    await withLab('again', async (lab) => {
      const old1 = await lab.createMachine('host1');
      const old2 = await lab.createMachine('host2');
      fs.rmSync(machinesFile(lab.labConfig));
      const new1 = await lab.createMachine('host1');
      assert.equal(new1.ip, '198.18.0.2');
      assert.notEqual(new1.pid, old1.pid);
      assert.equal(alive(old1.pid!), false);
      assert.equal(alive(old2.pid!), false);
      assertNoTraceOf(lab, 'host2');
      assert.equal((await lab.exec('host1', ['hostname'])).stdout, 'host1\n');

      const rm = await weft(lab, ['machine', 'rm', '--all']);
      assert.equal(rm.code, 0, rm.stderr);
      assertLabGone(lab);
    });
  });

  it('a test lab whose test process was killed is swept by the next test lab', async () => {
    const script = path.join(repoRoot(), 'dist', 'test', 'lab', 'fixtures', 'abandon-lab.js');
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const name = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.endsWith('\n')) resolve(out.trim());
      });
      child.on('close', (code) => reject(new Error(`abandon-lab exited with code ${code}`)));
    });
    const abandoned = labConfig({ name, weftd: [] });
    try {
      assert.equal(labResidue(abandoned).netns.length, 2);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
      await withLab('sweep', async () => {
        assert.deepEqual(labResidue(abandoned), { netns: [], processes: [], mounts: [], paths: [] });
      });
    } finally {
      child.kill('SIGKILL');
      await removeLab(abandoned);
    }
  });

  it('a weftd that never answers is reported with its log, and the failed create leaves nothing', async () => {
    const lab = labConfig({
      name: `wtfail${crypto.randomBytes(3).toString('hex')}`,
      weftd: ['sh', '-c', 'echo "weftd: cannot open the store" >&2; exit 3', 'weftd'],
      startTimeoutMs: 5000,
    });
    try {
      await assert.rejects(createMachine(lab, 'host1'), /exited with code 3[^]*cannot open the store/);
      assert.deepEqual(labResidue(lab), { netns: [], processes: [], mounts: [], paths: [] });
    } finally {
      await removeLab(lab);
    }
  });

  it('bin/weft wires `machine` with options that pass through exec', async (t) => {
    const main = path.join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
    if (!fs.existsSync(main) || !fs.readFileSync(main, 'utf8').includes('machineCommand')) {
      return t.skip('the weft entry (src/cli/main.ts) does not add machineCommand() yet');
    }
    await withLab('bin', async (lab) => {
      await lab.createMachine('host1');
      const bin = path.join(repoRoot(), 'bin', 'weft');
      assert.equal((await weft(lab, ['machine', 'ip', 'host1'], bin)).stdout, '198.18.0.2\n');
      const r = await weft(lab, ['machine', 'exec', 'host1', 'sh', '-c', 'exit 5', '-H', '--help'], bin);
      assert.equal(r.code, 5, r.stderr);
    });
  });
});
