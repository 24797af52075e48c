// network connect / disconnect take effect live, in the data plane and in DNS, on every host;
// and aliases resolve like container names, in rotating order when shared.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestLab, type TestLab } from '../helpers/lab.js';
import { docker, dockerOk } from '../helpers/docker.js';

/** Run a one-off busybox command on a network and return its output and exit code. */
async function oneOff(lab: TestLab, host: string, net: string, script: string) {
  return docker(lab, host, ['run', '--rm', '--net', net, 'busybox', 'sh', '-c', script]);
}

describe('network connect and disconnect across hosts', () => {
  let lab: TestLab;
  before(async () => {
    lab = await createTestLab('connect', { weftd: 'real' });
    await Promise.all([lab.createMachine('host1'), lab.createMachine('host2')]);
    await dockerOk(lab, 'host1', ['network', 'create', '-d', 'overlay', 'front']);
    await dockerOk(lab, 'host1', ['network', 'create', '-d', 'overlay', 'back']);
    await dockerOk(lab, 'host1', ['run', '-d', '--name', 'api', '--net', 'front', 'busybox', 'sleep', '1000']);
  });
  after(async () => {
    await lab?.remove();
  });

  it('connects a running container live, with an alias other hosts resolve and reach', async () => {
    const before = await oneOff(lab, 'host2', 'back', 'ping -c 1 -W 1 db');
    assert.notEqual(before.code, 0, 'db must not resolve before the connect');
    await dockerOk(lab, 'host1', ['network', 'connect', '--alias', 'db', 'back', 'api']);
    const after = await oneOff(lab, 'host2', 'back', 'ping -c 1 -W 2 db && ping -c 1 -W 2 api.back');
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.match(after.stdout, /PING db \(10\.0\.1\.2\)/);
    const nets = await dockerOk(lab, 'host1', ['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}', 'api']);
    assert.equal(nets.trim().split(' ').sort().join(' '), 'back=10.0.1.2 front=10.0.0.2');
  });

  it('refuses a second connect to the same network with Docker\'s message', async () => {
    const r = await docker(lab, 'host1', ['network', 'connect', 'back', 'api']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /endpoint with name api already exists in network back/);
  });

  it('shows the endpoint cluster-wide in network inspect, on any host', async () => {
    const out = await dockerOk(lab, 'host2', ['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}', 'back']);
    assert.equal(out.trim(), 'api 10.0.1.2/24');
  });

  it('disconnects live: the name stops resolving and the address is free again', async () => {
    await dockerOk(lab, 'host1', ['network', 'disconnect', 'back', 'api']);
    const r = await oneOff(lab, 'host2', 'back', 'nslookup db 127.0.0.11');
    assert.notEqual(r.code, 0, r.stdout);
    const inspect = await dockerOk(lab, 'host2', ['network', 'inspect', '-f', '{{len .Containers}}', 'back']);
    assert.equal(inspect.trim(), '0');
    const again = await dockerOk(lab, 'host2', ['run', '-d', '--net', 'back', 'busybox', 'sleep', '1000']);
    const ip = await dockerOk(lab, 'host2', ['inspect', '-f', '{{.NetworkSettings.Networks.back.IPAddress}}', again.trim()]);
    assert.equal(ip.trim(), '10.0.1.2');
    await dockerOk(lab, 'host2', ['rm', '-f', again.trim()]);
  });

  it('says so when the container is not connected', async () => {
    const r = await docker(lab, 'host1', ['network', 'disconnect', 'back', 'api']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not connected to network back/);
  });

  it('answers every container sharing an alias, in rotating order', async () => {
    await dockerOk(lab, 'host1', ['run', '-d', '--name', 'w1', '--net', 'front', '--network-alias', 'web', 'busybox', 'sleep', '1000']);
    await dockerOk(lab, 'host2', ['run', '-d', '--name', 'w2', '--net', 'front', '--network-alias', 'web', 'busybox', 'sleep', '1000']);
    const r = await oneOff(lab, 'host2', 'front', 'for i in 1 2 3 4; do nslookup web 127.0.0.11 | grep -A9 "^Name:" | grep Address | head -1; done');
    assert.equal(r.code, 0, r.stderr);
    const firsts = r.stdout.trim().split('\n').map((l) => l.replace(/^Address( \d+)?:\s*/, ''));
    assert.equal(new Set(firsts).size, 2, `both addresses come first in turn: ${r.stdout}`);
  });
});
