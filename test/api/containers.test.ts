// The container, exec and image routes against in-memory backends: request mapping, Docker's
// JSON shapes and the streaming protocols (docker-api.md §4) on the wire, then the real docker
// CLI 28.2.2 driving them.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fakeBackend } from './fake-backend.js';
import { FakeContainers, FakeImages, hex } from './fake-containers.js';
import { docker, hasDocker, request, startServer, type TestServer } from './harness.js';

let server: TestServer;
let containers: FakeContainers;
let images: FakeImages;

beforeEach(async () => {
  containers = new FakeContainers();
  images = new FakeImages();
  server = await startServer({ ...fakeBackend().backend, containers, images });
});
afterEach(() => server.close());

const skip = hasDocker ? false : 'docker CLI not installed at /usr/local/bin/docker';

/** Trace 07's create body: `run -d --name mongo --net appnet --network-alias db --network-alias mongo-alias --ip 10.10.0.130 --hostname mongohost`. */
const TRACE_07_BODY = '{"Hostname":"mongohost","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["sleep","1000"],"Image":"busybox","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"appnet","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"appnet":{"IPAMConfig":{"IPv4Address":"10.10.0.130"},"Links":null,"Aliases":["db","mongo-alias"],"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}';

const createBody = (overrides: Record<string, unknown> = {}) => JSON.stringify({ ...JSON.parse(TRACE_07_BODY), ...overrides });

interface Hijacked {
  readonly head: string;
  readonly frames: { stream: number; data: string }[];
  readonly raw: Buffer;
}

/** A raw HTTP/1.1 exchange on the socket, as the CLI's hijack does it; resolves when the daemon ends it. */
function hijack(socketPath: string, method: string, path: string, opts: { body?: string; stdin?: string; halfClose?: boolean } = {}): Promise<Hijacked> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('end', () => {
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const head = raw.subarray(0, split).toString('utf8');
      let rest = raw.subarray(split + 4);
      const frames: { stream: number; data: string }[] = [];
      if (head.startsWith('HTTP/1.1 101')) {
        while (rest.length >= 8) {
          const len = rest.readUInt32BE(4);
          frames.push({ stream: rest[0]!, data: rest.subarray(8, 8 + len).toString('utf8') });
          rest = rest.subarray(8 + len);
        }
      }
      resolve({ head, frames, raw });
      socket.end();
    });
    const body = opts.body ?? '';
    socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: api.moby.localhost\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: Upgrade\r\nContent-Type: ${body ? 'application/json' : 'text/plain'}\r\nUpgrade: tcp\r\n\r\n${body}${opts.stdin ?? ''}`,
    );
    if (opts.halfClose) socket.end();
  });
}

describe('POST /containers/create', () => {
  it("maps docker run's body into the runtime's create config", async () => {
    const res = await request(server.socketPath, 'POST', '/v1.50/containers/create?name=mongo', { body: TRACE_07_BODY });
    assert.equal(res.status, 201);
    assert.deepEqual(JSON.parse(res.text), { Id: hex('container:mongo'), Warnings: [] });
    const c = containers.createCalls[0]!;
    assert.equal(c.name, 'mongo');
    assert.equal(c.image, 'busybox');
    assert.deepEqual(c.cmd, ['sleep', '1000']);
    assert.equal(c.entrypoint, null);
    assert.equal(c.hostname, 'mongohost');
    assert.equal(c.networkMode, 'appnet');
    assert.deepEqual(c.endpointsConfig, { appnet: { aliases: ['db', 'mongo-alias'], ipv4Address: '10.10.0.130' } });
    assert.equal(c.autoRemove, false);
  });

  it('keeps --net X with no endpoint flags as NetworkMode X and no endpoints, and Cmd as a string', async () => {
    const res = await request(server.socketPath, 'POST', '/v1.50/containers/create', {
      body: createBody({ Cmd: 'echo hi', NetworkingConfig: { EndpointsConfig: {} }, HostConfig: { NetworkMode: 'appnet', AutoRemove: true } }),
    });
    assert.equal(res.status, 201);
    assert.deepEqual([containers.createCalls[0]!.networkMode, containers.createCalls[0]!.endpointsConfig, containers.createCalls[0]!.cmd, containers.createCalls[0]!.autoRemove], ['appnet', {}, ['echo hi'], true]);
  });

  it("answers moby's errors", async () => {
    const cases: [string, number, string][] = [
      [createBody({ Image: 'alpine:3.19' }), 404, 'No such image: alpine:3.19'],
      [createBody({ HostConfig: { NetworkMode: 'default' }, NetworkingConfig: { EndpointsConfig: { default: { Aliases: ['x'] } } } }), 400, 'network-scoped alias is supported only for containers in user defined networks'],
      [createBody({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } }), 501, 'publishing ports (-p, -P) is not supported by Weft: reach containers at their network addresses'],
      [createBody({ Tty: 'yes' }), 400, 'invalid JSON: json: cannot unmarshal string into Go struct field CreateRequest.Tty of type bool'],
      ['{"Image":', 400, 'invalid JSON: unexpected EOF'],
    ];
    for (const [body, status, message] of cases) {
      const res = await request(server.socketPath, 'POST', '/v1.50/containers/create', { body });
      assert.deepEqual([res.status, JSON.parse(res.text).message], [status, message], body.slice(0, 60));
    }
  });
});

describe('GET /containers/json and /containers/{id}/json', () => {
  it('lists running containers (all with all=1), with unix Created and a Status string', async () => {
    await request(server.socketPath, 'POST', '/containers/create?name=mongo', { body: TRACE_07_BODY });
    await request(server.socketPath, 'POST', '/containers/create?name=idle', { body: createBody({ HostConfig: {} }) });
    await containers.start('mongo');
    const running = JSON.parse((await request(server.socketPath, 'GET', '/v1.50/containers/json')).text) as Record<string, unknown>[];
    assert.deepEqual(running.map((c) => c.Names), [['/mongo']]);
    const c = running[0]!;
    assert.equal(c.Created, Math.floor(Date.parse('2026-11-28T15:53:38.301Z') / 1000));
    assert.equal(c.State, 'running');
    assert.match(String(c.Status), /^Up /);
    assert.equal(c.Command, 'sleep 1000');
    assert.deepEqual(c.HostConfig, { NetworkMode: 'appnet' });
    assert.equal((c.NetworkSettings as { Networks: Record<string, { IPAddress: string }> }).Networks.appnet!.IPAddress, '10.0.0.2');
    const all = JSON.parse((await request(server.socketPath, 'GET', '/v1.50/containers/json?all=1')).text) as { Names: string[]; Status: string }[];
    assert.deepEqual(all.map((x) => [x.Names[0], x.Status]).sort(), [['/idle', 'Created'], ['/mongo', running[0]!.Status as string]]);
    const filtered = JSON.parse((await request(server.socketPath, 'GET', `/containers/json?all=1&filters=${encodeURIComponent('{"status":{"created":true}}')}`)).text) as { Names: string[] }[];
    assert.deepEqual(filtered.map((x) => x.Names[0]), ['/idle']);
    const bad = await request(server.socketPath, 'GET', `/containers/json?filters=${encodeURIComponent('{"colour":{"red":true}}')}`);
    assert.deepEqual([bad.status, JSON.parse(bad.text).message], [400, "invalid filter 'colour'"]);
  });

  it("renders inspect in moby's field order, echoing HostConfig", async () => {
    await request(server.socketPath, 'POST', '/containers/create?name=mongo', { body: TRACE_07_BODY });
    await containers.start('mongo');
    const res = await request(server.socketPath, 'GET', '/v1.50/containers/mongo/json');
    const body = JSON.parse(res.text) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(body), [
      'Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name',
      'RestartCount', 'Driver', 'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'ExecIDs', 'HostConfig',
      'GraphDriver', 'Mounts', 'Config', 'NetworkSettings',
    ]);
    assert.deepEqual(body.HostConfig, JSON.parse(TRACE_07_BODY).HostConfig);
    assert.equal(body.State!.Pid, 4242);
    const settings = body.NetworkSettings as { IPAddress: string; Networks: Record<string, Record<string, unknown>> };
    // Top-level addresses describe the default bridge only.
    assert.equal(settings.IPAddress, '');
    assert.deepEqual(Object.keys(settings.Networks.appnet!), [
      'IPAMConfig', 'Links', 'Aliases', 'MacAddress', 'DriverOpts', 'GwPriority', 'NetworkID', 'EndpointID', 'Gateway',
      'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'DNSNames',
    ]);
    assert.deepEqual(settings.Networks.appnet!.IPAMConfig, { IPv4Address: '10.10.0.130' });
    assert.deepEqual(settings.Networks.appnet!.DNSNames, ['mongo', hex('container:mongo').slice(0, 12), 'db', 'mongo-alias']);
    const missing = await request(server.socketPath, 'GET', '/v1.50/containers/nosuch/json');
    assert.deepEqual([missing.status, JSON.parse(missing.text).message], [404, 'No such container: nosuch']);
  });
});

describe('POST /containers/{id}/wait', () => {
  it('sends its headers at once and the status code when the container exits', { timeout: 10_000 }, async () => {
    await request(server.socketPath, 'POST', '/containers/create?name=w', { body: createBody({ Cmd: ['cat'], OpenStdin: true, StdinOnce: true }) });
    const socket = net.connect(server.socketPath);
    let received = '';
    const gotHeaders = new Promise<void>((resolve) => socket.on('data', (d: Buffer) => {
      received += d.toString();
      if (received.includes('\r\n\r\n')) resolve();
    }));
    const ended = new Promise<void>((resolve) => socket.on('end', resolve));
    socket.write('POST /v1.50/containers/w/wait?condition=next-exit HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    // The container has not even started: the headers must still arrive (trace 41).
    await gotHeaders;
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /\r\nContent-Type: application\/json\r\n/);
    assert.match(received, /\r\nTransfer-Encoding: chunked\r\n/);
    await containers.start('w');
    await containers.stop('w');
    await ended;
    assert.match(received, /\r\n\r\n[0-9a-f]+\r\n\{"StatusCode":143\}\n\r\n0\r\n\r\n$/);
    socket.destroy();
  });

  it('refuses an unknown condition and an unknown container with ordinary errors', async () => {
    await request(server.socketPath, 'POST', '/containers/create?name=w', { body: TRACE_07_BODY });
    const bad = await request(server.socketPath, 'POST', '/v1.50/containers/w/wait?condition=whenever');
    assert.deepEqual([bad.status, JSON.parse(bad.text).message], [400, 'invalid condition: "whenever"']);
    const missing = await request(server.socketPath, 'POST', '/v1.50/containers/nosuch/wait');
    assert.deepEqual([missing.status, JSON.parse(missing.text).message], [404, 'No such container: nosuch']);
    const notRunning = await request(server.socketPath, 'POST', '/v1.50/containers/w/wait');
    assert.deepEqual([notRunning.status, notRunning.text], [200, '{"StatusCode":0}\n']);
  });
});

describe('POST /containers/{id}/attach (hijacked)', () => {
  it('answers 101, buffers stdin and its EOF sent before start, and frames output with stdcopy', async () => {
    await request(server.socketPath, 'POST', '/containers/create?name=c', { body: createBody({ Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true }) });
    const attached = hijack(server.socketPath, 'POST', '/v1.50/containers/c/attach?stderr=1&stdin=1&stdout=1&stream=1', { stdin: 'hello\nworld\n', halfClose: true });
    // Start only once the hub has the attachment (as the CLI starts after the wait headers).
    await new Promise((r) => setTimeout(r, 50));
    await containers.start('c');
    const { head, frames } = await attached;
    assert.match(head, /^HTTP\/1\.1 101 UPGRADED\r\nContent-Type: application\/vnd\.docker\.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n/);
    assert.deepEqual(frames.map((f) => f.stream), frames.map(() => 1));
    assert.equal(frames.map((f) => f.data).join(''), 'hello\nworld\n');
  });

  it('sends stdout and stderr as their own streams, and a TTY container raw', async () => {
    await request(server.socketPath, 'POST', '/containers/create?name=f', { body: createBody({ Cmd: ['fail', '3'] }) });
    const attached = hijack(server.socketPath, 'POST', '/containers/f/attach?stderr=1&stdout=1&stream=1', { halfClose: true });
    await new Promise((r) => setTimeout(r, 50));
    await containers.start('f');
    assert.deepEqual((await attached).frames, [{ stream: 1, data: 'about to fail\n' }, { stream: 2, data: 'failing\n' }]);

    await request(server.socketPath, 'POST', '/containers/create?name=t', { body: createBody({ Cmd: ['echo', 'hi'], Tty: true }) });
    const tty = hijack(server.socketPath, 'POST', '/containers/t/attach?stderr=1&stdout=1&stream=1', { halfClose: true });
    await new Promise((r) => setTimeout(r, 50));
    await containers.start('t');
    const { head, raw } = await tty;
    assert.match(head, /Content-Type: application\/vnd\.docker\.raw-stream/);
    assert.ok(raw.toString().endsWith('\r\n\r\nhi\n'));
  });

  it('answers an unknown container with a plain 404 on the socket', async () => {
    const { head, raw } = await hijack(server.socketPath, 'POST', '/containers/nosuch/attach?stream=1&stdout=1');
    assert.match(head, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(head, /\r\nContent-Type: application\/json/);
    assert.ok(raw.toString().endsWith('{"message":"No such container: nosuch"}\n'));
  });
});

describe('GET /containers/{id}/logs', () => {
  it('frames entries, adds timestamps, honours tail and the streams asked for', async () => {
    await request(server.socketPath, 'POST', '/containers/create?name=f', { body: createBody({ Cmd: ['fail', '1'] }) });
    const done = containers.wait('f', 'next-exit', new AbortController().signal);
    await containers.start('f');
    await (await done).result;
    const all = await request(server.socketPath, 'GET', '/v1.50/containers/f/logs?stderr=1&stdout=1&tail=all');
    assert.equal(all.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0, 0, 0, 0, Buffer.byteLength(text)]), Buffer.from(text)]).toString();
    assert.equal(all.text, frame(1, 'about to fail\n') + frame(2, 'failing\n'));
    const stamped = await request(server.socketPath, 'GET', '/v1.50/containers/f/logs?stdout=1&tail=1&timestamps=1');
    assert.equal(stamped.text, frame(1, '2026-11-28T15:53:38.000000001Z about to fail\n'));
    const none = await request(server.socketPath, 'GET', '/v1.50/containers/f/logs');
    assert.deepEqual([none.status, JSON.parse(none.text).message], [400, 'Bad parameters: you must choose at least one stream']);
  });
});

describe('exec', () => {
  it('creates, starts hijacked (the JSON body precedes stdin on the socket) and records the exit code', async () => {
    await request(server.socketPath, 'POST', '/containers/create?name=m', { body: TRACE_07_BODY });
    const stopped = await request(server.socketPath, 'POST', '/v1.50/containers/m/exec', { body: '{"Cmd":["echo","hi"],"AttachStdout":true}' });
    assert.deepEqual([stopped.status, JSON.parse(stopped.text).message], [409, `container ${hex('container:m')} is not running`]);
    await containers.start('m');
    const created = await request(server.socketPath, 'POST', '/v1.50/containers/m/exec', {
      body: '{"User":"","Privileged":false,"Tty":false,"AttachStdin":true,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["cat"]}',
    });
    assert.equal(created.status, 201);
    const { Id } = JSON.parse(created.text) as { Id: string };
    const started = await hijack(server.socketPath, 'POST', `/v1.50/exec/${Id}/start`, { body: '{"Detach":false,"Tty":false}', stdin: 'piped-in\n', halfClose: true });
    assert.match(started.head, /^HTTP\/1\.1 101 UPGRADED\r\nContent-Type: application\/vnd\.docker\.multiplexed-stream/);
    assert.deepEqual(started.frames, [{ stream: 1, data: 'piped-in\n' }]);
    const inspect = JSON.parse((await request(server.socketPath, 'GET', `/v1.50/exec/${Id}/json`)).text) as Record<string, unknown>;
    assert.deepEqual([inspect.ID, inspect.Running, inspect.ExitCode, inspect.ContainerID], [Id, false, 0, hex('container:m')]);

    const detached = JSON.parse((await request(server.socketPath, 'POST', '/containers/m/exec', { body: '{"Cmd":["exit","5"],"Detach":true}' })).text) as { Id: string };
    const plain = await request(server.socketPath, 'POST', `/v1.50/exec/${detached.Id}/start`, { body: '{"Detach":true,"Tty":false}' });
    assert.deepEqual([plain.status, plain.text], [200, '']);
    const missing = await request(server.socketPath, 'GET', '/v1.50/exec/nosuch/json');
    assert.deepEqual([missing.status, JSON.parse(missing.text).message], [404, 'No such exec instance: nosuch']);
    assert.equal((await request(server.socketPath, 'POST', `/v1.50/exec/${Id}/resize?h=30&w=100`)).status, 200);
  });
});

describe('images', () => {
  it('imports a chunked body and answers a JSON-message stream ending with the image id', async () => {
    const tar = Buffer.alloc(10240, 0x61);
    const res = await new Promise<{ status: number; type: string; text: string }>((resolve, reject) => {
      const req = http.request(
        { socketPath: server.socketPath, method: 'POST', path: '/v1.50/images/create?changes=CMD+%5B%22%2Fbin%2Fsh%22%5D&changes=ENV+A%3Db&fromSrc=-&message=my+msg&repo=netd%2Fbase', headers: { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' } },
        (r) => {
          let text = '';
          r.on('data', (d: Buffer) => (text += d.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, type: String(r.headers['content-type']), text }));
        },
      );
      req.on('error', reject);
      req.write(tar.subarray(0, 4096));
      req.end(tar.subarray(4096));
    });
    assert.equal(res.status, 200);
    assert.equal(res.type, 'application/json');
    assert.match(res.text, /^\{"status":"sha256:[0-9a-f]{64}"\}\r\n$/);
    assert.deepEqual(images.imported[0]!.opts, { repo: 'netd/base', changes: ['CMD ["/bin/sh"]', 'ENV A=b'], message: 'my msg' });
    assert.equal(images.imported[0]!.bytes.length, 10240);
    // Names with a slash arrive unescaped in the path.
    const inspect = await request(server.socketPath, 'GET', '/v1.50/images/netd/base/json');
    assert.equal(inspect.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(inspect.text)), [
      'Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'DockerVersion', 'Author', 'Config', 'Architecture',
      'Os', 'Size', 'GraphDriver', 'RootFS', 'Metadata',
    ]);
  });

  it('refuses a pull at once, naming docker import', async () => {
    const res = await request(server.socketPath, 'POST', '/v1.50/images/create?fromImage=docker.io%2Flibrary%2Falpine&tag=3.19', { headers: { 'X-Registry-Auth': 'e30=' } });
    assert.equal(res.status, 501);
    assert.equal(JSON.parse(res.text).message, 'pull access denied for alpine:3.19: Weft cannot pull images (it reaches no registry). Images come from "docker import": docker import rootfs.tar alpine:3.19');
  });

  it('lists images with unix Created and filters them', async () => {
    const list = JSON.parse((await request(server.socketPath, 'GET', '/v1.50/images/json')).text) as Record<string, unknown>[];
    assert.deepEqual(list.map((i) => [i.RepoTags, i.Created, i.SharedSize, i.Containers]), [[['busybox:latest'], Math.floor(Date.parse('2026-11-28T15:53:29.007Z') / 1000), -1, -1]]);
    const none = JSON.parse((await request(server.socketPath, 'GET', `/v1.50/images/json?filters=${encodeURIComponent('{"reference":{"alp*":true}}')}`)).text) as unknown[];
    assert.deepEqual(none, []);
  });
});

describe('the real docker CLI against the in-memory backends', { skip }, () => {
  it('runs attached with --rm: output demuxed, exit code from wait, container removed', async () => {
    const r = await docker(server, ['run', '--rm', 'busybox', 'fail', '3']);
    assert.deepEqual(r, { rc: 3, stdout: 'about to fail\n', stderr: 'failing\n' });
    assert.equal(containers.containers.size, 0);
  });

  it('runs detached, lists, inspects, execs, stops and removes', async () => {
    const id = (await docker(server, ['run', '-d', '--name', 'mongo', '--net', 'appnet', 'busybox', 'sleep', '1000'])).stdout.trim();
    assert.equal(id, hex('container:mongo'));
    const ps = await docker(server, ['ps', '--format', '{{.Names}} {{.Command}} {{.Networks}}']);
    assert.equal(ps.stdout, 'mongo "sleep 1000" appnet\n');
    assert.equal((await docker(server, ['inspect', '-f', '{{.NetworkSettings.Networks.appnet.IPAddress}} {{.State.Pid}}', 'mongo'])).stdout, '10.0.0.2 4242\n');
    assert.deepEqual(await docker(server, ['exec', 'mongo', 'echo', 'hi', 'there']), { rc: 0, stdout: 'hi there\n', stderr: 'to-stderr\n' });
    assert.equal((await docker(server, ['exec', 'mongo', 'exit', '5'])).rc, 5);
    const rm = await docker(server, ['rm', 'mongo']);
    assert.deepEqual(rm, { rc: 1, stdout: '', stderr: 'Error response from daemon: cannot remove container "/mongo": container is running: stop the container before removing or force remove\n' });
    assert.deepEqual(await docker(server, ['stop', 'mongo']), { rc: 0, stdout: 'mongo\n', stderr: '' });
    assert.deepEqual(await docker(server, ['stop', 'mongo']), { rc: 0, stdout: 'mongo\n', stderr: '' });
    assert.deepEqual(await docker(server, ['logs', 'mongo']), { rc: 0, stdout: '', stderr: '' });
    assert.deepEqual(await docker(server, ['rm', 'mongo']), { rc: 0, stdout: 'mongo\n', stderr: '' });
  });

  it('tries a pull after a 404 at create and shows why it failed', async () => {
    const r = await docker(server, ['run', '-d', 'alpine:3.19', 'sleep', '1']);
    assert.equal(r.rc, 125);
    assert.equal(r.stderr, "Unable to find image 'alpine:3.19' locally\ndocker: Error response from daemon: pull access denied for alpine:3.19: Weft cannot pull images (it reaches no registry). Images come from \"docker import\": docker import rootfs.tar alpine:3.19\n\nRun 'docker run --help' for more information\n");
  });

  it('imports a file and falls through container → image → network for inspect', async () => {
    const file = join(server.dir, 'rootfs.tar');
    await writeFile(file, Buffer.alloc(10240));
    const imported = await docker(server, ['import', file, 'myimg:1.0']);
    assert.equal(imported.rc, 0);
    assert.match(imported.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.match((await docker(server, ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).stdout, /myimg:1\.0/);
    assert.equal((await docker(server, ['inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim(), [...images.records.values()][0]!.id);
    assert.deepEqual(await docker(server, ['inspect', 'nosuch']), { rc: 1, stdout: '[]\n', stderr: 'Error: No such object: nosuch\n' });
  });
});
