// Containers and images across two lab hosts, driven by the real docker CLI as a user would:
// import, run (detached, attached, --rm), ps, inspect, logs, wait, exec, stop, rm, and what the
// network gives them (overlay across hosts, the default bridge's NAT, none, host), checked from
// inside the containers and in the kernel of the hosts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../../src/lab/index.js';
import { docker, dockerOk } from '../helpers/docker.js';
import { createTestLab, type TestLab } from '../helpers/lab.js';

const run = promisify(execFile);

/** Polls until `check` holds (effects that arrive through a store watch have no event to await). */
async function eventually(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A tiny root filesystem: a static busybox as /bin/sh and /bin/cat, and a file to print. */
function buildRootfs(dir: string): string {
  const root = path.join(dir, 'rootfs');
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  copyFileSync('/usr/bin/busybox', path.join(root, 'bin', 'busybox'));
  chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'cat', 'echo']) symlinkSync('busybox', path.join(root, 'bin', applet));
  writeFileSync(path.join(root, 'msg.txt'), 'from-imported\n');
  return root;
}

describe('containers and images on two lab hosts, through the real docker CLI', () => {
  let lab: TestLab;
  let work: string;
  let appnetId: string;
  const ok = (host: string, args: string[], opts?: { input?: string }) => dockerOk(lab, host, args, opts);
  const inspect = async (host: string, format: string, ref: string) => (await ok(host, ['inspect', '-f', format, ref])).trim();

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'weft-e2e-ctr-'));
    lab = await createTestLab('ctr', { weftd: 'real' });
    await Promise.all([lab.createMachine('host1'), lab.createMachine('host2')]);
  });
  after(async () => {
    await lab?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('gives every new machine busybox:latest', async () => {
    for (const h of ['host1', 'host2']) {
      assert.equal((await ok(h, ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).trim(), 'busybox:latest');
    }
    assert.equal(await inspect('host1', '{{json .Config.Cmd}}', 'busybox'), '["sh"]');
  });

  it('imports plain and gzip tarballs with docker import, and runs them', async () => {
    const root = buildRootfs(work);
    const plain = path.join(work, 'rootfs.tar');
    const gz = path.join(work, 'rootfs.tar.gz');
    await run('tar', ['-C', root, '-cf', plain, '.']);
    await run('sh', ['-c', `gzip -c < '${plain}' > '${gz}'`]);

    const id = (await ok('host1', ['import', plain, 'myimg:1.0'])).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await ok('host1', ['run', '--rm', 'myimg:1.0', '/bin/cat', '/msg.txt'])), 'from-imported\n');

    // gzip, from stdin (`-`), with a --change and a message.
    const gzId = (await run('sh', ['-c', `/usr/local/bin/docker -H ${lab.host('host1')} import -c 'CMD ["/bin/cat","/msg.txt"]' -m 'by test' - gzimg < '${gz}'`], {
      env: { ...process.env, DOCKER_CONFIG: '/tmp/weft-test-docker-config' },
    })).stdout.trim();
    assert.match(gzId, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok('host1', ['run', '--rm', 'gzimg']), 'from-imported\n');
    assert.equal(await inspect('host1', '{{.Comment}} {{json .Config.Cmd}}', 'gzimg:latest'), 'by test ["/bin/cat","/msg.txt"]');

    const tags = (await ok('host1', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).trim().split('\n').sort();
    assert.deepEqual(tags, ['busybox:latest', 'gzimg:latest', 'myimg:1.0']);

    writeFileSync(path.join(work, 'junk.tar'), 'this is not a tarball'.repeat(100));
    const bad = await docker(lab, 'host1', ['import', path.join(work, 'junk.tar'), 'junk']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error response from daemon: failed to unpack the image/);
  });

  it('refuses a pull at once, saying images come from docker import', async () => {
    const r = await docker(lab, 'host1', ['run', '-d', 'nosuchimage']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /Unable to find image 'nosuchimage:latest' locally/);
    assert.match(r.stderr, /docker: Error response from daemon: .*docker import/);
  });

  it('runs mongo on an overlay network on host1 at 10.0.0.2, as inspect and the kernel agree', async () => {
    appnetId = (await ok('host1', ['network', 'create', '-d', 'overlay', 'appnet'])).trim();
    const id = (await ok('host1', ['run', '-d', '--name', 'mongo', '--net', 'appnet', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const [ip, mac, pid, running] = (await inspect('host1', '{{.NetworkSettings.Networks.appnet.IPAddress}} {{.NetworkSettings.Networks.appnet.MacAddress}} {{.State.Pid}} {{.State.Running}}', 'mongo')).split(' ');
    assert.equal(ip, '10.0.0.2');
    assert.equal(mac, '02:42:0a:00:00:02');
    assert.equal(running, 'true');
    // State.Pid is in the machine's PID namespace, which is the initial one.
    const { stdout } = await run('nsenter', ['-n', '-t', pid!, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    assert.match(stdout, /inet 10\.0\.0\.2\/24/);

    const net = JSON.parse(await ok('host1', ['inspect', '-f', '{{json .NetworkSettings.Networks.appnet}}', 'mongo'])) as Record<string, unknown>;
    assert.equal(net.NetworkID, appnetId);
    assert.equal(net.Gateway, '10.0.0.1');
    assert.equal(net.IPPrefixLen, 24);
    assert.deepEqual(net.DNSNames, ['mongo', id.slice(0, 12)]);
    assert.match(String(net.EndpointID), /^[0-9a-f]{64}$/);
  });

  it('pings mongo from a container on host2, with wait and logs', async () => {
    await ok('host2', ['run', '-d', '--name', 'box', '--net', 'appnet', 'busybox', 'sh', '-c', 'ping -c 3 10.0.0.2']);
    assert.equal((await ok('host2', ['wait', 'box'])).trim(), '0');
    assert.match(await ok('host2', ['logs', 'box']), /64 bytes from 10\.0\.0\.2/);
  });

  it('connects over TCP from host2 to the httpd in mongo', async () => {
    const out = await ok('host2', ['run', '--rm', '--net', 'appnet', 'busybox', 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 5 10.0.0.2 80']);
    assert.match(out, /^HTTP\/1\.[01] \d{3}/);
  });

  it('lists running containers with ps, and all of them with ps -a', async () => {
    const running = (await ok('host1', ['ps', '--format', '{{.Names}} {{.Status}}'])).trim();
    assert.match(running, /^mongo Up /);
    assert.equal((await ok('host2', ['ps', '--format', '{{.Names}}'])).trim(), '');
    assert.match((await ok('host2', ['ps', '-a', '--format', '{{.Names}}|{{.Status}}|{{.Command}}'])).trim(), /^box\|Exited \(0\) .* ago\|"sh -c ping -c 3 10\.…"$/);
    const filtered = (await ok('host1', ['ps', '-a', '--filter', 'network=appnet', '--format', '{{.Names}}'])).trim();
    assert.equal(filtered, 'mongo');
  });

  it('runs commands in mongo with exec', async () => {
    assert.equal(await ok('host1', ['exec', 'mongo', 'hostname']), `${(await inspect('host1', '{{.Id}}', 'mongo')).slice(0, 12)}\n`);
    const r = await docker(lab, 'host1', ['exec', 'mongo', 'sh', '-c', 'echo out; echo err >&2; exit 5']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [5, 'out\n', 'err\n']);
    assert.equal(await ok('host1', ['exec', '-i', 'mongo', 'cat'], { input: 'piped-in\n' }), 'piped-in\n');
  });

  it('falls through container, image and network for docker inspect', async () => {
    assert.equal(await inspect('host1', '{{.Name}}', 'mongo'), '/mongo');
    assert.match(await inspect('host1', '{{.Id}}', 'busybox'), /^sha256:/);
    assert.equal(await inspect('host1', '{{.Id}}', 'appnet'), appnetId);
    const r = await docker(lab, 'host1', ['inspect', 'nosuch']);
    assert.deepEqual([r.code, r.stdout.trim(), r.stderr.trim()], [1, '[]', 'Error: No such object: nosuch']);
  });

  it("answers a taken name and removing a running container with Docker's words", async () => {
    const mongoId = await inspect('host1', '{{.Id}}', 'mongo');
    const taken = await docker(lab, 'host1', ['run', '-d', '--name', 'mongo', 'busybox', 'true']);
    assert.equal(taken.code, 125);
    assert.match(taken.stderr, new RegExp(`Error response from daemon: Conflict\\. The container name "/mongo" is already in use by container "${mongoId}"\\. You have to remove \\(or rename\\) that container to be able to reuse that name\\.`));

    await ok('host1', ['run', '-d', '--name', 'sleeper', 'busybox', 'sleep', '1000']);
    const rm = await docker(lab, 'host1', ['rm', 'sleeper']);
    assert.equal(rm.code, 1);
    assert.equal(rm.stderr.trim(), 'Error response from daemon: cannot remove container "/sleeper": container is running: stop the container before removing or force remove');
    assert.equal(await ok('host1', ['rm', '-f', 'sleeper']), 'sleeper\n');
    assert.ok(!(await ok('host1', ['ps', '-a', '--format', '{{.Names}}'])).includes('sleeper'));
  });

  it('fails an unknown network at start, not at create (no pull)', async () => {
    const r = await docker(lab, 'host1', ['run', '--rm', '--net', 'nosuchnet', 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /docker: Error response from daemon: failed to set up container networking: network nosuchnet not found/);
    assert.doesNotMatch(r.stderr, /Unable to find image/);
    // --rm removed the container whose start failed.
    assert.equal((await ok('host1', ['ps', '-aq', '--filter', 'status=created'])).trim(), '');
  });

  it('escalates stop to SIGKILL for a process that ignores SIGTERM', async () => {
    await ok('host1', ['run', '-d', '--name', 'stubborn', 'busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 1; done']);
    assert.equal(await ok('host1', ['stop', '-t', '1', 'stubborn']), 'stubborn\n');
    assert.equal(await inspect('host1', '{{.State.Status}} {{.State.ExitCode}}', 'stubborn'), 'exited 137');
    // Stopping it again is a 304, which docker reports as success.
    assert.equal(await ok('host1', ['stop', 'stubborn']), 'stubborn\n');
  });

  it('streams an attached run --rm and exits with the container\'s code', async () => {
    const r = await docker(lab, 'host2', ['run', '--rm', 'busybox', 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'hi\n', 'oops\n']);
    const stdin = await docker(lab, 'host2', ['run', '--rm', '-i', 'busybox', 'cat'], { input: 'hello\nworld\n' });
    assert.deepEqual([stdin.code, stdin.stdout], [0, 'hello\nworld\n']);
    assert.equal((await ok('host2', ['ps', '-a', '--format', '{{.Names}}'])).trim(), 'box');
  });

  it('gives --net none loopback only and --net host the machine\'s eth1', async () => {
    const none = await ok('host2', ['run', '--rm', '--net', 'none', 'busybox', 'ip', '-o', 'link']);
    assert.deepEqual(none.trim().split('\n').map((l) => l.split(':')[1]!.trim()), ['lo']);
    const host = await ok('host2', ['run', '--rm', '--net', 'host', 'busybox', 'ip', '-o', '-4', 'addr', 'show', 'eth1']);
    assert.match(host, new RegExp(`inet ${lab.ip('host2').replace(/\./g, '\\.')}/`));
  });

  it("reaches the other host's LAN address from the default bridge (NAT)", async () => {
    const out = await ok('host2', ['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '5', lab.ip('host1')]);
    assert.match(out, /1 packets received/);
    const [ip, gw] = (await ok('host2', ['run', '--rm', 'busybox', 'sh', '-c', 'ip -o -4 addr show eth0; ip route'])).split('\n');
    assert.match(ip!, /inet 172\.17\.0\.\d+\/16/);
    assert.match(gw!, /default via 172\.17\.0\.1/);
  });

  it('keeps two overlay networks apart', async () => {
    await ok('host1', ['network', 'create', '-d', 'overlay', 'othernet']);
    for (const h of ['host1', 'host2']) {
      const r = await docker(lab, h, ['run', '--rm', '--net', 'othernet', 'busybox', 'ping', '-c', '1', '-W', '2', '10.0.0.2']);
      assert.notEqual(r.code, 0, `a container on othernet (${h}) must not reach mongo on appnet`);
    }
    // …while appnet itself still works from both hosts.
    for (const h of ['host1', 'host2']) {
      await ok(h, ['run', '--rm', '--net', 'appnet', 'busybox', 'ping', '-c', '1', '-W', '5', '10.0.0.2']);
    }
  });

  it("takes a stopped container's peer entries off the other host", async () => {
    // A container on appnet keeps host2's sandbox for the network (and its peer entries) alive.
    await ok('host2', ['run', '-d', '--name', 'watcher', '--net', 'appnet', 'busybox', 'sleep', '1000']);
    const sandbox = `${lab.name}-host2-sb-${appnetId.slice(0, 12)}`;
    const fdb = async () => (await run('bridge', ['-n', sandbox, 'fdb', 'show', 'dev', 'vxlan0'])).stdout;
    const neigh = async () => (await run('ip', ['-n', sandbox, 'neigh', 'show', '10.0.0.2'])).stdout;
    await eventually('host2 has mongo as a peer', async () => (await fdb()).includes('02:42:0a:00:00:02') && (await neigh()).includes('02:42:0a:00:00:02'));
    assert.match(await fdb(), new RegExp(`02:42:0a:00:00:02 dst ${lab.ip('host1').replace(/\./g, '\\.')}`));

    assert.equal(await ok('host1', ['stop', '-t', '1', 'mongo']), 'mongo\n');
    await eventually('host2 forgets mongo', async () => !(await fdb()).includes('02:42:0a:00:00:02') && !(await neigh()).includes('02:42:0a:00:00:02'));
    // Stopped containers keep their network configuration, without addresses.
    assert.equal(await inspect('host1', '{{.NetworkSettings.Networks.appnet.NetworkID}}|{{.NetworkSettings.Networks.appnet.IPAddress}}', 'mongo'), `${appnetId}|`);

    // Started again, it comes back (with the same address, the lowest free one).
    await ok('host1', ['start', 'mongo']);
    assert.equal(await inspect('host1', '{{.NetworkSettings.Networks.appnet.IPAddress}}', 'mongo'), '10.0.0.2');
    await eventually('host2 has mongo as a peer again', async () => (await fdb()).includes('02:42:0a:00:00:02'));
  });

  it('frees the address of a container removed with rm -f', async () => {
    await ok('host1', ['run', '-d', '--name', 'a1', '--net', 'appnet', 'busybox', 'sleep', '1000']);
    const ip = await inspect('host1', '{{.NetworkSettings.Networks.appnet.IPAddress}}', 'a1');
    assert.match(ip, /^10\.0\.0\.\d+$/);
    assert.equal(await ok('host1', ['rm', '-f', 'a1']), 'a1\n');
    await ok('host1', ['run', '-d', '--name', 'a2', '--net', 'appnet', 'busybox', 'sleep', '1000']);
    assert.equal(await inspect('host1', '{{.NetworkSettings.Networks.appnet.IPAddress}}', 'a2'), ip);
  });

  it('does the same through the weft CLI', async () => {
    const weft = (args: string[], input?: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [path.join(repoRoot(), 'bin', 'weft'), '-H', lab.host('host1'), ...args], (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
        child.stdin?.end(input ?? '');
      });
    const attached = await weft(['run', '--rm', 'busybox', 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
    assert.deepEqual([attached.code, attached.stdout, attached.stderr], [3, 'hi\n', 'oops\n']);
    assert.deepEqual(await weft(['run', '--rm', '-i', 'busybox', 'cat'], 'piped\n'), { code: 0, stdout: 'piped\n', stderr: '' });

    const id = (await weft(['run', '-d', '--name', 'wbox', '--net', 'appnet', '--network-alias', 'wb', '--ip', '10.0.0.99', '-e', 'A=b', 'busybox', 'sh', '-c', 'echo $A; sleep 1000'])).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal((await weft(['inspect', '-f', '{{.NetworkSettings.Networks.appnet.IPAddress}}', 'wbox'])).stdout, '10.0.0.99\n');
    assert.match((await weft(['ps'])).stdout, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n/);
    assert.match((await weft(['ps', '--format', '{{.Names}}'])).stdout, /wbox/);
    await eventually('wbox has logged', async () => (await weft(['logs', 'wbox'])).stdout === 'b\n');
    assert.equal((await weft(['stop', '-t', '1', 'wbox'])).stdout, 'wbox\n');
    assert.equal((await weft(['rm', 'wbox'])).stdout, 'wbox\n');
    const gone = await weft(['inspect', 'wbox']);
    assert.deepEqual([gone.code, gone.stderr], [1, 'Error: No such object: wbox\n']);

    const root = path.join(work, 'rootfs');
    const tar = path.join(work, 'weft.tar');
    await run('tar', ['-C', root, '-cf', tar, '.']);
    assert.match((await weft(['image', 'import', tar, 'weftimg:2'])).stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.match((await weft(['image', 'ls'])).stdout, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n(.*\n)*weftimg +2 +[0-9a-f]{12} /);
  });
});
