// Privileged: real processes in namespaces on an overlay root. Each run has its own data dir and
// namespace prefix; after() removes containers, namespaces and the data dir even on failure.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isWeftError } from '../../src/errors.js';
import type { ContainerNetworking } from '../../src/runtime/networking.js';
import { dockerState } from '../../src/runtime/docker-shapes.js';
import type { ContainerEvent, ContainerCreateConfig } from '../../src/runtime/types.js';
import {
  alive, collect, eventually, makeFixture, mountsUnder, netnsWithPrefix, text, type RuntimeFixture,
} from './fixture.js';

let fx: RuntimeFixture;
let n = 0;
const uniqueName = (base: string) => `${base}-${process.pid}-${++n}`;

before(async () => {
  fx = await makeFixture();
});

after(async () => {
  await fx?.cleanup();
});

async function run(cfg: Partial<ContainerCreateConfig> & { cmd: string[] }) {
  const c = await fx.manager.create({ image: 'busybox', name: uniqueName('c'), ...cfg });
  const exited = fx.manager.wait(c.id, 'next-exit');
  await fx.manager.start(c.id);
  return { id: c.id, exited };
}

/** Resolves once the container has logged `needle` (e.g. a trap is installed). */
async function untilLogged(id: string, needle: string): Promise<void> {
  for await (const e of fx.manager.logs(id, { follow: true })) {
    if (e.data.toString().includes(needle)) return;
  }
  throw new Error(`container exited without logging ${needle}`);
}

const rejectsWith = (kind: Parameters<typeof isWeftError>[1], message?: string | RegExp) => (err: unknown) => {
  assert.ok(isWeftError(err, kind), `expected a ${kind} WeftError, got ${String(err)}`);
  if (typeof message === 'string') assert.equal((err as Error).message, message);
  else if (message) assert.match((err as Error).message, message);
  return true;
};

describe('running a command', () => {
  test('echo hi: exit 0, logged on stdout with a timestamp', async () => {
    const { id, exited } = await run({ cmd: ['echo', 'hi'] });
    assert.deepEqual(await exited, { StatusCode: 0 });
    const entries = await collect(fx.manager.logs(id));
    assert.equal(entries.length, 1);
    assert.equal(entries[0].stream, 'stdout');
    assert.equal(entries[0].data.toString(), 'hi\n');
    assert.match(entries[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const c = fx.manager.get(id);
    assert.equal(c.state.status, 'exited');
    assert.equal(c.state.pid, 0);
    assert.ok(c.state.startedAt && c.state.finishedAt);
    assert.equal(dockerState(c).Running, false);
  });

  test('stdout and stderr are kept apart', async () => {
    const { id, exited } = await run({ cmd: ['sh', '-c', 'echo out; echo err >&2; echo out2'] });
    await exited;
    // The two pipes are read independently, so only the order within a stream is defined.
    const all = await collect(fx.manager.logs(id));
    assert.deepEqual(all.filter((e) => e.stream === 'stdout').map((e) => e.data.toString()), ['out\n', 'out2\n']);
    assert.deepEqual(all.filter((e) => e.stream === 'stderr').map((e) => e.data.toString()), ['err\n']);
    assert.equal(text(await collect(fx.manager.logs(id, { stderr: false }))), 'out\nout2\n');
    assert.equal(text(await collect(fx.manager.logs(id, { stdout: false }))), 'err\n');
    assert.equal(text(await collect(fx.manager.logs(id, { tail: 1, stderr: false }))), 'out2\n');
  });

  test('the exit code of the command is the container\'s', async () => {
    const { exited } = await run({ cmd: ['sh', '-c', 'exit 3'] });
    assert.deepEqual(await exited, { StatusCode: 3 });
  });

  test('an unknown command fails start with Docker\'s message and exit code 127', async () => {
    const c = await fx.manager.create({ image: 'busybox', cmd: ['nosuchcmd'] });
    await assert.rejects(fx.manager.start(c.id), rejectsWith('invalid', /exec: "nosuchcmd": executable file not found in \$PATH/));
    assert.equal(fx.manager.get(c.id).state.exitCode, 127);
    assert.equal(fx.manager.get(c.id).state.status, 'created');
    await fx.manager.remove(c.id);
  });

  test('with AutoRemove, a failed start removes the container (removed waiters see the error)', async () => {
    const c = await fx.manager.create({ image: 'busybox', cmd: ['nosuchcmd'], autoRemove: true });
    const removed = fx.manager.wait(c.id, 'removed');
    await assert.rejects(fx.manager.start(c.id), rejectsWith('invalid'));
    const result = await removed;
    assert.equal(result.StatusCode, 127);
    assert.match(result.Error?.Message ?? '', /executable file not found/);
    assert.throws(() => fx.manager.get(c.id), rejectsWith('not-found'));
  });

  test('image config is merged: Cmd from the image, Env added to', async () => {
    const c = await fx.manager.create({ image: 'busybox', env: ['FOO=bar'] });
    assert.equal(c.path, 'sh');
    assert.deepEqual(c.args, []);
    assert.ok(c.config.env.includes('FOO=bar'));
    assert.ok(c.config.env.some((e) => e.startsWith('PATH=')));
    await fx.manager.remove(c.id);
  });

  test('user and working directory are applied', async () => {
    const { id, exited } = await run({ cmd: ['sh', '-c', 'id -u; id -g; pwd'], user: 'nobody', workingDir: '/work/dir' });
    await exited;
    assert.equal(text(await collect(fx.manager.logs(id))), '65534\n65534\n/work/dir\n');
  });
});

describe('namespaces', () => {
  test('State.Pid is PID 1 of the container and enters its network and UTS namespaces', async () => {
    const { id } = await run({ cmd: ['sh', '-c', 'echo up; exec sleep 1000'], hostname: 'webhost' });
    const c = fx.manager.get(id);
    const pid = c.state.pid;
    assert.ok(pid > 0);
    assert.equal(c.state.status, 'running');
    // PID 1 in its own PID namespace.
    const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1].split(/\s+/);
    assert.equal(nspid.at(-1), '1');
    // Its network namespace is the one the networking hook made: only loopback.
    const links = execFileSync('nsenter', ['-n', '-t', String(pid), 'ip', '-o', 'link'], { encoding: 'utf8' });
    assert.deepEqual(links.trim().split('\n').map((l) => l.split(':')[1].trim()), ['lo']);
    assert.equal(statSync(`/proc/${pid}/ns/net`).ino, statSync(`/run/netns/${fx.networking.netnsName(id)}`).ino);
    assert.equal(c.netnsPath, `/run/netns/${fx.networking.netnsName(id)}`);
    // Its hostname.
    const hostname = execFileSync('nsenter', ['-u', '-t', String(pid), 'cat', '/proc/sys/kernel/hostname'], { encoding: 'utf8' });
    assert.equal(hostname.trim(), 'webhost');
    assert.equal(readFileSync(c.hostnamePath, 'utf8'), 'webhost\n');
    // Its root is the overlay, with /etc/hosts from the networking hook (PID 1 enters that root
    // with its last exec, after start() has returned).
    await untilLogged(id, 'up');
    assert.match(readFileSync(`/proc/${pid}/root/etc/hosts`, 'utf8'), /127\.0\.0\.1\tlocalhost/);
    const rootMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
    assert.match(rootMount ?? '', / - overlay overlay /);
    // Only its stdio: no status pipe, no descriptor inherited from weftd.
    assert.deepEqual(readdirSync(`/proc/${pid}/fd`).sort(), ['0', '1', '2']);
    await fx.manager.stop(id, { timeoutSeconds: 0 });
  });

  test('the default hostname is the short id; exec runs inside the container', async () => {
    const { id } = await run({ cmd: ['sleep', '1000'] });
    // Right after start: exec must already see the container's root, /proc and hosts file.
    const proc = await fx.manager.exec(id, { cmd: ['sh', '-c', 'hostname; echo $$; pwd; cat /proc/1/cmdline; echo; head -1 /etc/hosts; ls /proc/self/fd'], workingDir: '/tmp' });
    const out: Buffer[] = [];
    proc.stdout.on('data', (b: Buffer) => out.push(b));
    proc.stderr.on('data', (b: Buffer) => out.push(b));
    assert.equal(await proc.exited, 0, Buffer.concat(out).toString());
    const [hostname, pid, cwd, , hosts, ...fds] = Buffer.concat(out).toString().trim().split('\n');
    assert.equal(hostname, id.slice(0, 12));
    assert.notEqual(pid, '1');
    assert.ok(Number(pid) < 100, `exec'd process sees a container PID, got ${pid}`);
    assert.equal(cwd, '/tmp');
    assert.equal(hosts, '127.0.0.1\tlocalhost');
    // ls's own directory descriptor is the only one beyond stdio.
    assert.deepEqual(fds, ['0', '1', '2', '3']);
    const user = await fx.manager.exec(id, { cmd: ['id', '-u'], user: 'nobody' });
    const uid: Buffer[] = [];
    user.stdout.on('data', (b: Buffer) => uid.push(b));
    assert.equal(await user.exited, 0);
    assert.equal(Buffer.concat(uid).toString(), '65534\n');
    await fx.manager.remove(id, { force: true });
  });

  test('exec into a stopped container is a 409', async () => {
    const c = await fx.manager.create({ image: 'busybox', cmd: ['true'] });
    await assert.rejects(fx.manager.exec(c.id, { cmd: ['true'] }), rejectsWith('conflict', `container ${c.id} is not running`));
    await fx.manager.remove(c.id);
  });
});

describe('stop and kill', () => {
  test('stop escalates to SIGKILL for a process that ignores SIGTERM', async () => {
    const { id, exited } = await run({ cmd: ['sh', '-c', 'trap "" TERM; sleep 1000'] });
    const events: ContainerEvent[] = [];
    const onEvent = (e: ContainerEvent) => { if (e.id === id) events.push(e); };
    fx.manager.events.on('container', onEvent);
    await fx.manager.stop(id, { timeoutSeconds: 1 });
    fx.manager.events.off('container', onEvent);
    assert.deepEqual(await exited, { StatusCode: 137 });
    assert.equal(fx.manager.get(id).state.exitCode, 137);
    assert.deepEqual(events.filter((e) => e.action === 'kill').map((e) => e.attributes.signal), ['TERM', 'KILL']);
    assert.deepEqual(events.map((e) => e.action).slice(-2), ['die', 'stop']);
  });

  test('stop sends SIGTERM first: a handler runs', async () => {
    const { id, exited } = await run({ cmd: ['sh', '-c', 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'] });
    await untilLogged(id, 'ready');
    await fx.manager.stop(id, { timeoutSeconds: 30 });
    assert.deepEqual(await exited, { StatusCode: 42 });
    assert.equal(text(await collect(fx.manager.logs(id))), 'ready\ngot-term\n');
  });

  test('stop with a given signal; stop of a stopped container is 304; start of a running one is 304', async () => {
    const { id, exited } = await run({ cmd: ['sh', '-c', 'trap "exit 7" INT; echo ready; while :; do sleep 0.1; done'] });
    await assert.rejects(fx.manager.start(id), rejectsWith('not-modified'));
    await untilLogged(id, 'ready');
    await fx.manager.stop(id, { signal: 'SIGINT', timeoutSeconds: 30 });
    assert.deepEqual(await exited, { StatusCode: 7 });
    await assert.rejects(fx.manager.stop(id), rejectsWith('not-modified'));
  });

  test('kill sends a signal; kill of a stopped container is 409', async () => {
    const { id, exited } = await run({ cmd: ['sleep', '1000'] });
    fx.manager.kill(id, 'KILL');
    assert.deepEqual(await exited, { StatusCode: 137 });
    assert.throws(() => fx.manager.kill(id), rejectsWith('conflict', /is not running/));
    assert.throws(() => fx.manager.kill(id, 'NOSUCH'), rejectsWith('invalid'));
  });

  test('a stopped container starts again and its logs continue', async () => {
    const { id, exited } = await run({ cmd: ['echo', 'again'] });
    await exited;
    const second = fx.manager.wait(id, 'next-exit');
    await fx.manager.start(id);
    await second;
    assert.equal(text(await collect(fx.manager.logs(id))), 'again\nagain\n');
  });
});

describe('wait', () => {
  test('not-running answers at once for a created container', async () => {
    const c = await fx.manager.create({ image: 'busybox', cmd: ['true'] });
    assert.deepEqual(await fx.manager.wait(c.id, 'not-running'), { StatusCode: 0 });
    await fx.manager.remove(c.id);
  });

  test('not-running waits for a running container; next-exit for the next exit', async () => {
    const { id } = await run({ cmd: ['sh', '-c', 'read x; exit 5'], openStdin: true, stdinOnce: true });
    const notRunning = fx.manager.wait(id, 'not-running');
    const nextExit = fx.manager.wait(id, 'next-exit');
    const a = fx.manager.attach(id, { stdin: true });
    a.write(Buffer.from('go\n'));
    assert.deepEqual(await notRunning, { StatusCode: 5 });
    assert.deepEqual(await nextExit, { StatusCode: 5 });
  });

  test('removed resolves on removal; a waiter can be aborted', async () => {
    const c = await fx.manager.create({ image: 'busybox', cmd: ['true'] });
    const controller = new AbortController();
    const aborted = fx.manager.wait(c.id, 'removed', { signal: controller.signal });
    controller.abort();
    await assert.rejects(aborted);
    const removed = fx.manager.wait(c.id, 'removed');
    await fx.manager.remove(c.id);
    assert.deepEqual(await removed, { StatusCode: 0 });
  });

  test('unknown container is a 404 with Docker\'s message', () => {
    assert.throws(() => fx.manager.wait('nosuch', 'next-exit'), rejectsWith('not-found', 'No such container: nosuch'));
  });
});

describe('names and references', () => {
  test('a taken name is a 409 with Docker\'s message', async () => {
    const name = uniqueName('web');
    const c = await fx.manager.create({ image: 'busybox', name, cmd: ['true'] });
    await assert.rejects(fx.manager.create({ image: 'busybox', name: `/${name}`, cmd: ['true'] }), rejectsWith('conflict',
      `Conflict. The container name "/${name}" is already in use by container "${c.id}". You have to remove (or rename) that container to be able to reuse that name.`));
    await fx.manager.remove(name);
    const again = await fx.manager.create({ image: 'busybox', name, cmd: ['true'] });
    await fx.manager.remove(again.id);
  });

  test('get by full id, name, /name and unique prefix; generated names look like Docker\'s', async () => {
    const c = await fx.manager.create({ image: 'busybox', cmd: ['true'] });
    assert.match(c.name, /^[a-z]+_[a-z]+\d?$/);
    for (const ref of [c.id, c.name, `/${c.name}`, c.id.slice(0, 12)]) assert.equal(fx.manager.get(ref).id, c.id);
    assert.throws(() => fx.manager.get('nosuch'), rejectsWith('not-found', 'No such container: nosuch'));
    await fx.manager.remove(c.id);
  });

  test('invalid names and unknown images are rejected', async () => {
    await assert.rejects(fx.manager.create({ image: 'busybox', name: 'bad name', cmd: ['true'] }), rejectsWith('invalid', /Invalid container name/));
    await assert.rejects(fx.manager.create({ image: 'nosuch:1', cmd: ['true'] }), rejectsWith('not-found', 'No such image: nosuch:1'));
  });

  test('list shows running containers, or all', async () => {
    const { id } = await run({ cmd: ['sleep', '1000'] });
    const stopped = await fx.manager.create({ image: 'busybox', cmd: ['true'] });
    assert.ok(fx.manager.list().some((c) => c.id === id));
    assert.ok(!fx.manager.list().some((c) => c.id === stopped.id));
    assert.ok(fx.manager.list({ all: true }).some((c) => c.id === stopped.id));
    await fx.manager.remove(id, { force: true });
    await fx.manager.remove(stopped.id);
  });
});

describe('remove', () => {
  test('rm of a running container without force is a 409 with moby\'s message', async () => {
    const name = uniqueName('mongo');
    const { id } = await run({ name, cmd: ['sleep', '1000'] });
    await assert.rejects(fx.manager.remove(name), rejectsWith('conflict',
      `cannot remove container "/${name}": container is running: stop the container before removing or force remove`));
    assert.equal(fx.manager.get(id).state.status, 'running');
    await fx.manager.remove(id, { force: true });
  });

  test('rm -f kills a running container and resolves next-exit and removed waiters', async () => {
    const { id, exited } = await run({ cmd: ['sleep', '1000'] });
    const pid = fx.manager.get(id).state.pid;
    const removed = fx.manager.wait(id, 'removed');
    await fx.manager.remove(id, { force: true });
    assert.deepEqual(await exited, { StatusCode: 137 });
    assert.deepEqual(await removed, { StatusCode: 137 });
    assert.throws(() => fx.manager.get(id), rejectsWith('not-found'));
    assert.equal(alive(pid), false);
    assert.equal(existsSync(join(fx.dataRoot, 'containers', id)), false);
    assert.deepEqual(netnsWithPrefix(fx.networking.netnsName(id)), []);
  });

  test('AutoRemove deletes the container after it exits', async () => {
    const { id, exited } = await run({ cmd: ['sh', '-c', 'exit 2'], autoRemove: true });
    const removed = fx.manager.wait(id, 'removed');
    assert.deepEqual(await exited, { StatusCode: 2 });
    assert.deepEqual(await removed, { StatusCode: 2 });
    assert.throws(() => fx.manager.get(id), rejectsWith('not-found'));
    assert.equal(existsSync(join(fx.dataRoot, 'containers', id)), false);
  });
});

describe('stdio', () => {
  test('attach before start: stdin (and its EOF) are delivered at start, output streams live', async () => {
    const c = await fx.manager.create({
      image: 'busybox', cmd: ['sh', '-c', 'cat; echo done >&2'], openStdin: true, stdinOnce: true, autoRemove: true,
    });
    const a = fx.manager.attach(c.id, { stdin: true, stdout: true, stderr: true });
    a.write(Buffer.from('hello\n'));
    a.write(Buffer.from('world\n'));
    a.endStdin();
    const removed = fx.manager.wait(c.id, 'removed');
    const output = collect(a.output);
    await fx.manager.start(c.id);
    const chunks = await output;
    assert.equal(text(chunks.filter((x) => x.stream === 'stdout')), 'hello\nworld\n');
    assert.equal(text(chunks.filter((x) => x.stream === 'stderr')), 'done\n');
    assert.deepEqual(await removed, { StatusCode: 0 });
  });

  test('without OpenStdin the process reads EOF', async () => {
    const { exited } = await run({ cmd: ['cat'] });
    assert.deepEqual(await exited, { StatusCode: 0 });
  });

  test('logs follow streams until the container exits; since filters by time', async () => {
    const c = await fx.manager.create({ image: 'busybox', cmd: ['sh', '-c', 'echo one; read x; echo two'], openStdin: true });
    await fx.manager.start(c.id);
    const followed: string[] = [];
    const follow = (async () => {
      for await (const e of fx.manager.logs(c.id, { follow: true })) {
        followed.push(e.data.toString());
        if (followed.length === 1) fx.manager.attach(c.id, { stdin: true }).write(Buffer.from('go\n'));
      }
    })();
    await follow;
    assert.deepEqual(followed, ['one\n', 'two\n']);
    const [first, second] = await collect(fx.manager.logs(c.id));
    assert.deepEqual(await collect(fx.manager.logs(c.id, { since: second.timeNs })).then((x) => x.map((e) => e.data.toString())), ['two\n']);
    assert.deepEqual(await collect(fx.manager.logs(c.id, { until: second.timeNs })).then((x) => x.map((e) => e.data.toString())), ['one\n']);
    assert.ok(first.timeNs < second.timeNs);
    await fx.manager.remove(c.id);
  });
});

describe('networking seam', () => {
  test('setUp runs before the process starts, tearDown after it exits and before removal', async () => {
    const calls: string[] = [];
    const recording: ContainerNetworking = {
      async setUp(spec) {
        calls.push(`setUp ${spec.networkMode} ${spec.hostname} ${Object.keys(spec.endpointsConfig).join(',')}`);
        return fx.networking.setUp(spec);
      },
      async tearDown(spec) {
        calls.push(`tearDown ${spec.netnsPath !== null}`);
        return fx.networking.tearDown(spec);
      },
    };
    const manager = await fx.newManager(recording);
    manager.events.on('container', (e) => calls.push(e.action));
    const c = await manager.create({
      image: 'busybox', cmd: ['true'], hostname: 'h1', networkMode: 'appnet', autoRemove: true,
      endpointsConfig: { appnet: { aliases: ['db'], ipv4Address: '10.0.0.9' } },
    });
    const removed = manager.wait(c.id, 'removed');
    await manager.start(c.id);
    await removed;
    assert.deepEqual(calls, ['create', 'setUp appnet h1 appnet', 'start', 'tearDown true', 'die', 'destroy']);
  });

  test('a failing setUp fails the start, and tearDown still runs', async () => {
    let tornDown = 0;
    const failing: ContainerNetworking = {
      async setUp() { throw new Error('network appnet not found'); },
      async tearDown() { tornDown++; },
    };
    const manager = await fx.newManager(failing);
    const c = await manager.create({ image: 'busybox', cmd: ['true'] });
    await assert.rejects(manager.start(c.id), /network appnet not found/);
    assert.equal(tornDown, 1);
    assert.equal(manager.get(c.id).state.error, 'network appnet not found');
    assert.deepEqual(await manager.wait(c.id, 'not-running'), { StatusCode: 128, Error: { Message: 'network appnet not found' } });
    await manager.remove(c.id);
  });
});

describe('start failures', () => {
  test('a namespace that does not exist: the start fails with nsenter\'s reason', async () => {
    let tornDown = 0;
    const broken: ContainerNetworking = {
      async setUp() { return { netnsPath: `/run/netns/${fx.prefix}missing`, hosts: '', resolvConf: '' }; },
      async tearDown() { tornDown++; },
    };
    const manager = await fx.newManager(broken);
    const c = await manager.create({ image: 'busybox', cmd: ['true'] });
    await assert.rejects(manager.start(c.id), /cannot start the container: .*nsenter.*No such file/s);
    assert.equal(tornDown, 1);
    assert.equal(manager.get(c.id).state.status, 'created');
    await manager.remove(c.id);
  });
});

describe('persistence', () => {
  let own: RuntimeFixture;
  before(async () => {
    own = await makeFixture();
  });
  after(async () => {
    await own?.cleanup();
  });

  test('records survive a new manager; a container left running is marked exited and torn down', async () => {
    const { id, exited } = await (async () => {
      const c = await own.manager.create({ image: 'busybox', name: 'kept', cmd: ['echo', 'kept'], labels: { a: 'b' } });
      const w = own.manager.wait(c.id, 'next-exit');
      await own.manager.start(c.id);
      return { id: c.id, exited: w };
    })();
    await exited;
    const running = await own.manager.create({ image: 'busybox', name: 'was-running', cmd: ['true'] });
    // Simulate a weftd that died while this container ran.
    const file = join(own.dataRoot, 'containers', running.id, 'config.v2.json');
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    stored.record.state = { ...stored.record.state, status: 'running', pid: 999999999 };
    stored.record.netnsPath = `/run/netns/${own.networking.netnsName(running.id)}`;
    writeFileSync(file, JSON.stringify(stored));

    let tornDown: string[] = [];
    const reopened = await own.newManager({
      setUp: (spec) => own.networking.setUp(spec),
      tearDown: async (spec) => { tornDown = [...tornDown, spec.id]; },
    });
    const kept = reopened.get('kept');
    assert.equal(kept.id, id);
    assert.deepEqual(kept.config.labels, { a: 'b' });
    assert.equal(kept.state.status, 'exited');
    assert.equal(text(await collect(reopened.logs('kept'))), 'kept\n');
    const dead = reopened.get('was-running');
    assert.equal(dead.state.status, 'exited');
    assert.equal(dead.state.exitCode, 255);
    assert.deepEqual(tornDown, [running.id]);
  });
});

describe('cleanliness', () => {
  test('after removal no mounts remain under the data dir and no container process is alive', async () => {
    for (const c of fx.manager.list({ all: true })) await fx.manager.remove(c.id, { force: true });
    assert.deepEqual(mountsUnder(fx.dataRoot), []);
    await eventually(() => [...fx.pids].every((pid) => !alive(pid)), 'container processes to be gone');
    assert.deepEqual(netnsWithPrefix(fx.prefix), []);
  });
});
