// `weft network …` (src/cli/network.ts + client.ts) against the fake-backed API server: its
// output must be docker's. Where the docker CLI is installed, both run against the same server
// and their stdout, stderr and exit codes are compared directly.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConnectionError, DaemonError, DockerClient, parseHost, resolveHost } from '../../src/cli/client.js';
import { indentJson, naturalLess, tabwrite, truncateId } from '../../src/cli/format.js';
import { createBody, ipamConfigs, networkCommand } from '../../src/cli/network.js';
import { fakeBackend, hexId, type FakeNetworks } from './fake-backend.js';
import { docker, hasDocker, startServer, type CliResult, type TestServer } from './harness.js';

let server: TestServer;
let networks: FakeNetworks;

beforeEach(async () => {
  const fake = fakeBackend();
  networks = fake.networks;
  server = await startServer(fake.backend);
});
afterEach(() => server.close());

async function weft(args: readonly string[], host = `unix://${server.socketPath}`): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  let rc = 0;
  const cmd = networkCommand(() => new DockerClient(host), {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    setExitCode: (code) => (rc = code),
  });
  for (const c of [cmd, ...cmd.commands]) {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  }
  await cmd.parseAsync(args, { from: 'user' });
  return { rc, stdout, stderr };
}

function seedAppnet(fake = networks) {
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

describe('weft network: output as docker prints it', () => {
  it('ls prints trace 03 exactly', async () => {
    assert.deepEqual(await weft(['ls']), {
      rc: 0,
      stdout: `NETWORK ID     NAME      DRIVER    SCOPE
06f1ae4230b3   bridge    bridge    local
2ac34fa27a4b   host      host      local
9314aa56b622   none      null      local
`,
      stderr: '',
    });
  });

  it('create prints the id; the daemon got the typed request', async () => {
    const res = await weft(['create', '-d', 'overlay', '--subnet', '10.10.0.0/24', '--gateway', '10.10.0.1', '--label', 'env=prod', 'appnet']);
    assert.deepEqual(res, { rc: 0, stdout: hexId('net:appnet') + '\n', stderr: '' });
    assert.deepEqual(networks.createCalls[0]!.ipam.config, [{ subnet: '10.10.0.0/24', gateway: '10.10.0.1' }]);
    assert.deepEqual(networks.createCalls[0]!.labels, { env: 'prod' });
  });

  it('create of a taken name: trace 05c', async () => {
    await weft(['create', 'plainnet']);
    assert.deepEqual(await weft(['create', 'plainnet']), {
      rc: 1,
      stdout: '',
      stderr: 'Error response from daemon: network with name plainnet already exists\n',
    });
  });

  it('inspect of an unknown network: trace 06b', async () => {
    assert.deepEqual(await weft(['inspect', 'nosuch']), { rc: 1, stdout: '[]\n', stderr: 'Error response from daemon: network nosuch not found\n' });
  });

  it('rm: trace 23b', async () => {
    networks.seed({ name: 'backnet', driver: 'bridge' });
    assert.deepEqual(await weft(['rm', 'backnet', 'nosuch']), {
      rc: 1,
      stdout: 'backnet\n',
      stderr: 'Error response from daemon: network nosuch not found\nexit status 1\n',
    });
    assert.deepEqual(await weft(['rm', '-f', 'nosuch']), { rc: 0, stdout: '', stderr: '' });
  });

  it('a client-side create error is reported without touching the daemon', async () => {
    const res = await weft(['create', '--subnet', '10.0.0.0/24', '--gateway', '10.9.0.1', 'x']);
    assert.deepEqual(res, { rc: 1, stdout: '', stderr: 'no matching subnet for gateway 10.9.0.1\n' });
    assert.equal(networks.createCalls.length, 0);
  });

  it('an unreachable daemon is reported plainly', async () => {
    const res = await weft(['ls'], `unix://${server.dir}/nosuch.sock`);
    assert.equal(res.rc, 1);
    assert.equal(res.stderr, `Cannot connect to the Weft daemon at unix://${server.dir}/nosuch.sock. Is weftd running?\n`);
  });
});

/** Go prints a map in random order, so a JSON line's "Labels" ("a=1,b=2") is compared sorted. */
function labelsSorted<T extends { stdout: string }>(res: T): T {
  const stdout = res.stdout.replace(/"Labels":"([^"]*)"/g, (_, list: string) => `"Labels":"${list.split(',').sort().join(',')}"`);
  return { ...res, stdout };
}

describe('weft network and docker network print the same', { skip: hasDocker ? false : 'docker CLI not installed' }, () => {
  const seed = (fake: FakeNetworks) => {
    seedAppnet(fake);
    fake.seed({ name: 'net10', driver: 'bridge', labels: { env: 'dev' } });
    fake.seed({ name: 'net9', driver: 'bridge' });
    fake.seed({ name: 'a-very-long-network-name', created: '2026-11-28T15:53:32.5Z' });
  };

  /** Each CLI gets its own identically seeded daemon, so commands that change state compare too. */
  const same = async (args: string[]) => {
    seed(networks);
    const ours = await weft(args);
    const fake = fakeBackend();
    seed(fake.networks);
    const other = await startServer(fake.backend);
    try {
      const theirs = await docker(other, ['network', ...args]);
      assert.deepEqual(labelsSorted(ours), labelsSorted(theirs), `weft network ${args.join(' ')}`);
    } finally {
      await other.close();
    }
  };

  for (const args of [
    ['ls'],
    ['ls', '-q'],
    ['ls', '--no-trunc'],
    ['ls', '-q', '--no-trunc', '--filter', 'driver=overlay'],
    ['ls', '--filter', 'label=env'],
    ['ls', '--format', '{{.Name}}: {{.Driver}}'],
    ['ls', '--format', 'table {{.Name}}\\t{{.Scope}}\\t{{.Internal}}'],
    // Labels: only single-label networks, since Go prints a map in random order.
    ['ls', '--filter', 'driver=bridge', '--format', 'table {{.ID}}\\t{{.Labels}}\\t{{.CreatedAt}}'],
    ['ls', '--format', 'json', '--filter', 'name=net'],
    ['ls', '--format', '{{.Label "env"}}'],
    ['inspect', 'appnet'],
    ['inspect', 'appnet', 'net9'],
    ['inspect', 'appnet', 'nosuch', 'net9'],
    ['inspect', '-v', 'appnet'],
    ['inspect', '--format', '{{.Name}} {{.Driver}} {{json .IPAM}}', 'appnet'],
    ['inspect', '--format', '{{.ID}} {{.Internal}} {{.Scope}}', 'net10'],
    ['rm', 'net10', 'nosuch', 'bridge'],
    ['create', 'plainnet'],
    ['create', 'net9'],
    ['create', '-d', 'overlay', '--subnet', '10.30.0.0/24', '--gateway', '10.31.0.1', 'x'],
  ]) {
    it(args.join(' '), () => same(args));
  }
});

describe('request bodies match docker 28.2.2 (traces 04, 05, 05b, 05d)', () => {
  const none: string[] = [];
  const defaults = { driver: 'bridge', subnet: none, ipRange: none, gateway: none, auxAddress: none, label: none, opt: none, ipamDriver: 'default', ipamOpt: none };

  it('trace 04', () => {
    const body = createBody('appnet', {
      ...defaults,
      driver: 'overlay',
      subnet: ['10.10.0.0/24'],
      gateway: ['10.10.0.1'],
      ipRange: ['10.10.0.128/25'],
      auxAddress: ['host1=10.10.0.5', 'host2=10.10.0.6'],
      internal: true,
      attachable: true,
      opt: ['encrypted', 'com.docker.network.driver.mtu=1400'],
      label: ['env=prod', 'team'],
    });
    assert.equal(
      JSON.stringify(body),
      '{"Driver":"overlay","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.10.0.0/24","IPRange":"10.10.0.128/25","Gateway":"10.10.0.1","AuxiliaryAddresses":{"host1":"10.10.0.5","host2":"10.10.0.6"}}]},"Internal":true,"Attachable":true,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{"com.docker.network.driver.mtu":"1400","encrypted":""},"Labels":{"env":"prod","team":""},"Name":"appnet"}'
        // docker sends Options in the order given; compare as data for that map.
        .replace('{"com.docker.network.driver.mtu":"1400","encrypted":""}', '{"encrypted":"","com.docker.network.driver.mtu":"1400"}'),
    );
  });

  it('traces 05, 05b and 05d', () => {
    assert.equal(
      JSON.stringify(createBody('plainnet', defaults)),
      '{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"plainnet"}',
    );
    assert.equal(
      JSON.stringify(createBody('backnet', { ...defaults, subnet: ['192.168.50.0/24'], gateway: ['192.168.50.1'] })),
      '{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"192.168.50.0/24","Gateway":"192.168.50.1"}]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"backnet"}',
    );
    assert.equal(
      JSON.stringify(createBody('v6net', { ...defaults, ipv6: true, subnet: ['fd00:1::/64', '10.99.0.0/24'], opt: ['foo=bar'], ipamOpt: ['x=y'] })),
      '{"Driver":"bridge","Scope":"","EnableIPv6":true,"IPAM":{"Driver":"default","Options":{"x":"y"},"Config":[{"Subnet":"fd00:1::/64"},{"Subnet":"10.99.0.0/24"}]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{"foo":"bar"},"Labels":{},"Name":"v6net"}',
    );
  });

  it('IPAM consolidation refuses what docker refuses', () => {
    const ipam = (o: Partial<typeof defaults>) => () => ipamConfigs({ ...defaults, ...o });
    assert.throws(ipam({ gateway: ['10.0.0.1'] }), { message: 'every ip-range or gateway must have a corresponding subnet' });
    assert.throws(ipam({ subnet: ['10.0.0.0/16', '10.0.1.0/24'] }), { message: 'multiple overlapping subnet configuration is not supported' });
    // Like docker, a lone bad subnet is left for the daemon to refuse; matching a gateway against it fails here.
    assert.deepEqual(ipamConfigs({ ...defaults, subnet: ['10.0.0.0/33'] }), [{ Subnet: '10.0.0.0/33' }]);
    assert.throws(ipam({ subnet: ['10.0.0.0/33'], gateway: ['10.0.0.1'] }), { message: 'invalid subnet: invalid CIDR address: 10.0.0.0/33' });
    assert.throws(ipam({ subnet: ['10.0.0.0/24'], ipRange: ['10.1.0.0/25'] }), { message: 'no matching subnet for range 10.1.0.0/25' });
    assert.throws(ipam({ subnet: ['10.0.0.0/24'], auxAddress: ['a=10.1.0.5'] }), { message: 'no matching subnet for aux-address 10.1.0.5' });
    assert.throws(ipam({ subnet: ['10.0.0.0/24', '10.1.0.0/24'], gateway: ['10.0.0.1', '10.0.0.2'] }), {
      message: 'cannot configure multiple gateways (10.0.0.2, 10.0.0.1) for the same subnet (10.0.0.0/24)',
    });
  });
});

describe('formatting helpers', () => {
  it('tabwrite: columns are max(width+3, 10); the last cell is not padded', () => {
    assert.equal(tabwrite('NETWORK ID\tNAME\tDRIVER\tSCOPE\n06f1ae4230b3\tbridge\tbridge\tlocal\n'), 'NETWORK ID     NAME      DRIVER    SCOPE\n06f1ae4230b3   bridge    bridge    local\n');
    // Column 0 is 15+3 wide, column 1 min 10; a line's text after its last tab is not a column.
    assert.equal(tabwrite('a\t\tc\nlonger-than-ten\tb\t\n'), `a${' '.repeat(27)}c\nlonger-than-ten   b${' '.repeat(9)}\n`);
  });

  it('indentJson keeps key order and empty containers as json.Indent does', () => {
    assert.equal(indentJson('[{"b":1,"a":{},"c":[],"d":["x",{"e":"q\\"}:,"}]}]'), '[\n    {\n        "b": 1,\n        "a": {},\n        "c": [],\n        "d": [\n            "x",\n            {\n                "e": "q\\"}:,"\n            }\n        ]\n    }\n]');
  });

  it('naturalLess sorts digits numerically, as docker network ls', () => {
    const names = ['net10', 'net9', 'a', 'net09', 'Net1', 'net'];
    assert.deepEqual(names.sort((x, y) => (naturalLess(x, y) ? -1 : naturalLess(y, x) ? 1 : 0)), ['Net1', 'a', 'net', 'net9', 'net09', 'net10']);
  });

  it('truncateId', () => {
    assert.equal(truncateId('sha256:0123456789abcdef'), '0123456789ab');
    assert.equal(truncateId('abc'), 'abc');
  });
});

describe('client', () => {
  it('parses hosts and picks -H, then DOCKER_HOST, then the default', () => {
    assert.deepEqual(parseHost('unix:///run/weft.sock'), { kind: 'unix', path: '/run/weft.sock' });
    assert.deepEqual(parseHost('tcp://192.0.2.1:2376'), { kind: 'tcp', host: '192.0.2.1', port: 2376 });
    assert.deepEqual(parseHost('192.0.2.1:2376'), { kind: 'tcp', host: '192.0.2.1', port: 2376 });
    assert.throws(() => parseHost('unix://'));
    assert.equal(resolveHost('unix:///a', { DOCKER_HOST: 'unix:///b' }), 'unix:///a');
    assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///b' }), 'unix:///b');
    assert.equal(resolveHost(undefined, {}), 'unix:///run/weft/weftd.sock');
  });

  it('turns {message} bodies into DaemonErrors and unreachable sockets into ConnectionErrors', async () => {
    const c = new DockerClient(`unix://${server.socketPath}`);
    try {
      await assert.rejects(c.json('GET', '/networks/nosuch'), (err: unknown) => {
        assert.ok(err instanceof DaemonError);
        assert.equal(err.status, 404);
        assert.equal(err.message, 'network nosuch not found');
        return true;
      });
      const list = await c.json<{ Name: string }[]>('GET', '/networks', { query: { filters: JSON.stringify({ name: { bri: true } }) } });
      assert.deepEqual(list.map((n) => n.Name), ['bridge']);
    } finally {
      c.close();
    }
    const gone = new DockerClient(`unix://${server.dir}/missing.sock`);
    await assert.rejects(gone.json('GET', '/networks'), ConnectionError);
    gone.close();
  });
});
