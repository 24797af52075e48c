// The real docker CLI 28.2.2 driving the API server (fake backend), compared with the traces in
// docker-cli-traces/ (expected outputs copied here so the test runs without that folder).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fakeBackend, hexId, type FakeNetworks } from './fake-backend.js';
import { docker, hasDocker, startServer, type TestServer } from './harness.js';

let server: TestServer;
let networks: FakeNetworks;

beforeEach(async () => {
  const fake = fakeBackend();
  networks = fake.networks;
  server = await startServer(fake.backend);
});
afterEach(() => server.close());

const skip = hasDocker ? false : 'docker CLI not installed at /usr/local/bin/docker';

/** Trace 03-network-ls stdout. */
const TRACE_03 = `NETWORK ID     NAME      DRIVER    SCOPE
06f1ae4230b3   bridge    bridge    local
2ac34fa27a4b   host      host      local
9314aa56b622   none      null      local
`;

/** Trace 06-network-inspect stdout, Scope aside (the probe said "swarm"; classic overlay is "global"). */
const TRACE_06 = `[
    {
        "Name": "appnet",
        "Id": "8164acb6e152a9384f95ba23c72821c773e1462b331c5356d1a15d56ee33c844",
        "Created": "2026-11-28T15:53:32.522Z",
        "Scope": "global",
        "Driver": "overlay",
        "EnableIPv4": true,
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": {},
            "Config": [
                {
                    "Subnet": "10.10.0.0/24",
                    "IPRange": "10.10.0.128/25",
                    "Gateway": "10.10.0.1",
                    "AuxiliaryAddresses": {
                        "host1": "10.10.0.5",
                        "host2": "10.10.0.6"
                    }
                }
            ]
        },
        "Internal": true,
        "Attachable": true,
        "Ingress": false,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {},
        "Options": {
            "com.docker.network.driver.mtu": "1400",
            "encrypted": ""
        },
        "Labels": {
            "env": "prod",
            "team": ""
        }
    }
]
`;

function seedAppnet(fake: FakeNetworks) {
  return fake.seed({
    name: 'appnet',
    id: '8164acb6e152a9384f95ba23c72821c773e1462b331c5356d1a15d56ee33c844',
    created: '2026-11-28T15:53:32.522Z',
    internal: true,
    attachable: true,
    ipam: {
      driver: 'default',
      options: {},
      config: [{ subnet: '10.10.0.0/24', ipRange: '10.10.0.128/25', gateway: '10.10.0.1', auxAddresses: { host1: '10.10.0.5', host2: '10.10.0.6' } }],
    },
    options: { 'com.docker.network.driver.mtu': '1400', encrypted: '' },
    labels: { env: 'prod', team: '' },
  });
}

describe('docker CLI against the API server', { skip }, () => {
  it('network ls prints trace 03 exactly', async () => {
    assert.deepEqual(await docker(server, ['network', 'ls']), { rc: 0, stdout: TRACE_03, stderr: '' });
  });

  it('network ls -q --no-trunc with filters gets them applied by the daemon', async () => {
    seedAppnet(networks);
    networks.seed({ name: 'app-bridge', driver: 'bridge' });
    const res = await docker(server, ['network', 'ls', '-q', '--no-trunc', '--filter', 'driver=overlay', '--filter', 'name=app']);
    assert.deepEqual(res, { rc: 0, stdout: '8164acb6e152a9384f95ba23c72821c773e1462b331c5356d1a15d56ee33c844\n', stderr: '' });
  });

  it('network create -d overlay prints the id, then ls shows it with scope global', async () => {
    const res = await docker(server, ['network', 'create', '-d', 'overlay', '--subnet', '10.10.0.0/24', '--attachable', 'x']);
    assert.deepEqual(res, { rc: 0, stdout: hexId('net:x') + '\n', stderr: '' });
    assert.equal(networks.createCalls[0]!.driver, 'overlay');
    const ls = await docker(server, ['network', 'ls', '--filter', 'name=x']);
    assert.equal(ls.stdout, `NETWORK ID     NAME      DRIVER    SCOPE\n${hexId('net:x').slice(0, 12)}   x         overlay   global\n`);
  });

  it('network create of trace 04 with --opt encrypted is refused, rc 1', async () => {
    const res = await docker(server, [
      'network', 'create', '-d', 'overlay', '--subnet', '10.10.0.0/24', '--gateway', '10.10.0.1', '--ip-range', '10.10.0.128/25',
      '--aux-address', 'host1=10.10.0.5', '--aux-address', 'host2=10.10.0.6', '--internal', '--attachable', '--opt', 'encrypted',
      '--opt', 'com.docker.network.driver.mtu=1400', '--label', 'env=prod', '--label', 'team', 'appnet',
    ]);
    assert.equal(res.rc, 1);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /^Error response from daemon: encrypted networks are not supported: this kernel has no IPsec \(ESP\)/);
    assert.equal(networks.createCalls.length, 0);
  });

  it('network create of a taken name matches trace 05c', async () => {
    await docker(server, ['network', 'create', 'plainnet']);
    const res = await docker(server, ['network', 'create', 'plainnet']);
    assert.deepEqual(res, { rc: 1, stdout: '', stderr: 'Error response from daemon: network with name plainnet already exists\n' });
  });

  it('network create with an unknown driver shows moby plugin text', async () => {
    const res = await docker(server, ['network', 'create', '-d', 'weave', 'w']);
    assert.deepEqual(res, { rc: 1, stdout: '', stderr: 'Error response from daemon: plugin "weave" not found\n' });
  });

  it('network inspect prints trace 06 byte for byte (raw bytes re-indented)', async () => {
    seedAppnet(networks);
    assert.deepEqual(await docker(server, ['network', 'inspect', 'appnet']), { rc: 0, stdout: TRACE_06, stderr: '' });
  });

  it('network inspect --format decodes the typed struct (trace 06c)', async () => {
    seedAppnet(networks);
    const res = await docker(server, ['network', 'inspect', 'appnet', '--format', '{{.Name}} {{.Driver}} {{json .IPAM}}']);
    assert.equal(res.rc, 0, res.stderr);
    assert.equal(
      res.stdout,
      'appnet overlay {"Driver":"default","Options":{},"Config":[{"Subnet":"10.10.0.0/24","IPRange":"10.10.0.128/25","Gateway":"10.10.0.1","AuxiliaryAddresses":{"host1":"10.10.0.5","host2":"10.10.0.6"}}]}\n',
    );
  });

  it('network inspect shows containers on other hosts with their host', async () => {
    seedAppnet(networks);
    networks.attach('appnet', {
      id: hexId('ep:mongo'),
      containerId: hexId('c:mongo'),
      name: 'mongo',
      aliases: [],
      host: 'host2',
      vtep: '192.0.2.12',
      ipv4: '10.10.0.130/24',
      mac: '02:42:0a:0a:00:82',
    });
    const res = await docker(server, ['network', 'inspect', '--format', '{{range $id, $c := .Containers}}{{$c.Name}} {{$c.IPv4Address}}{{end}}', 'appnet']);
    assert.deepEqual(res, { rc: 0, stdout: 'mongo 10.10.0.130/24\n', stderr: '' });
    const raw = await docker(server, ['network', 'inspect', 'appnet']);
    assert.match(raw.stdout, /"IPv6Address": "",\n {16}"Host": "host2"\n/);
  });

  it('network inspect of an unknown network matches trace 06b', async () => {
    assert.deepEqual(await docker(server, ['network', 'inspect', 'nosuch']), {
      rc: 1,
      stdout: '[]\n',
      stderr: 'Error response from daemon: network nosuch not found\n',
    });
  });

  it('generic inspect falls through unknown routes (404 page not found) to the network (trace 14c)', async () => {
    seedAppnet(networks);
    assert.deepEqual(await docker(server, ['inspect', 'appnet']), { rc: 0, stdout: TRACE_06, stderr: '' });
  });

  it('network rm matches traces 23b (partial failure) and 23 (in use)', async () => {
    networks.seed({ name: 'backnet', driver: 'bridge' });
    assert.deepEqual(await docker(server, ['network', 'rm', 'backnet', 'nosuch']), {
      rc: 1,
      stdout: 'backnet\n',
      stderr: 'Error response from daemon: network nosuch not found\nexit status 1\n',
    });
    const n = seedAppnet(networks);
    await docker(server, ['network', 'connect', 'appnet', 'web']);
    assert.deepEqual(await docker(server, ['network', 'rm', 'appnet']), {
      rc: 1,
      stdout: '',
      stderr: `Error response from daemon: error while removing network: network appnet id ${n.id} has active endpoints\nexit status 1\n`,
    });
  });

  it('network rm of a predefined network is refused', async () => {
    const res = await docker(server, ['network', 'rm', 'bridge']);
    assert.equal(res.rc, 1);
    assert.equal(res.stderr, 'Error response from daemon: bridge is a pre-defined network and cannot be removed\nexit status 1\n');
  });

  it('network connect / disconnect reach the backend with the typed endpoint', async () => {
    seedAppnet(networks);
    const c = await docker(server, ['network', 'connect', '--alias', 'api', '--alias', 'api2', '--ip', '10.10.0.77', 'appnet', 'web']);
    assert.deepEqual(c, { rc: 0, stdout: '', stderr: '' });
    assert.deepEqual(networks.connectCalls[0], { ref: 'appnet', container: 'web', endpoint: { aliases: ['api', 'api2'], ipv4Address: '10.10.0.77', driverOpts: {} } });
    assert.deepEqual(await docker(server, ['network', 'connect', 'appnet', 'web']), {
      rc: 1,
      stdout: '',
      stderr: 'Error response from daemon: endpoint with name web already exists in network appnet\n',
    });
    assert.deepEqual(await docker(server, ['network', 'disconnect', '-f', 'appnet', 'web']), { rc: 0, stdout: '', stderr: '' });
    assert.deepEqual(networks.disconnectCalls[0], { ref: 'appnet', container: 'web', force: true });
  });

  it('network prune -f prints the deleted networks (trace 24)', async () => {
    networks.seed({ name: 'v6net', driver: 'bridge' });
    assert.deepEqual(await docker(server, ['network', 'prune', '-f']), { rc: 0, stdout: 'Deleted Networks:\nv6net\n\n', stderr: '' });
    assert.deepEqual(await docker(server, ['network', 'prune', '-f', '--filter', 'until=1h', '--filter', 'label=env=prod']), { rc: 0, stdout: '', stderr: '' });
  });

  it('version shows the server section', async () => {
    const res = await docker(server, ['version']);
    assert.equal(res.rc, 0, res.stderr);
    assert.equal(res.stderr, '');
    const serverPart = res.stdout.slice(res.stdout.indexOf('Server:'));
    assert.match(serverPart, /^Server: Weft\n Engine:\n {2}Version: {10}0\.1\.0\n {2}API version: {6}1\.50 \(minimum version 1\.24\)\n/);
    assert.match(serverPart, /\n {2}Git commit: {7}deadbee\n/);
    assert.match(serverPart, /\n {2}Built: {12}Fri May 30 12:00:00 2025\n/);
    assert.match(serverPart, /\n {2}OS\/Arch: {10}linux\/(amd64|arm64)\n {2}Experimental: {5}false\n$/);
  });

  it('info shows the server section with swarm inactive and the network plugins', async () => {
    const res = await docker(server, ['info']);
    assert.equal(res.rc, 0, res.stderr);
    assert.equal(res.stderr, '');
    for (const line of [
      ' Containers: 3',
      '  Running: 1',
      '  Stopped: 2',
      ' Images: 1',
      ' Server Version: 0.1.0',
      '  Network: bridge host null overlay',
      ' Swarm: inactive',
      ' Kernel Version: 6.1.0',
      ' Operating System: Debian GNU/Linux 12 (bookworm)',
      ' OSType: linux',
      ' CPUs: 4',
      ' Total Memory: 7.451GiB',
      ' Name: host1',
      ' ID: f3b9c3e0-0000-4000-8000-000000000000',
      ' Docker Root Dir: /var/lib/weft',
    ]) {
      assert.ok(res.stdout.includes(line + '\n'), `missing ${JSON.stringify(line)} in:\n${res.stdout}`);
    }
  });

  it('API version negotiation as the CLI sees it', async () => {
    const old = await docker(server, ['network', 'ls'], { DOCKER_API_VERSION: '1.24' });
    assert.deepEqual(old, { rc: 0, stdout: TRACE_03, stderr: '' });
    const tooNew = await docker(server, ['network', 'ls'], { DOCKER_API_VERSION: '1.51' });
    assert.equal(tooNew.rc, 1);
    assert.equal(tooNew.stderr, 'Error response from daemon: client version 1.51 is too new. Maximum supported API version is 1.50\n');
    // `network ls` refuses 1.12 client-side; `version` sends it.
    const tooOld = await docker(server, ['version'], { DOCKER_API_VERSION: '1.12' });
    assert.equal(tooOld.rc, 1);
    assert.equal(
      tooOld.stderr,
      'Error response from daemon: client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version\n',
    );
  });
});
