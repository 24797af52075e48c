// The /networks routes over HTTP against the fake backend: bodies validated into typed requests,
// moby's JSON out (field order included), filters, and each backend error → status + message.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fakeBackend, hexId, PREDEFINED, type FakeNetworks } from './fake-backend.js';
import { request, startServer, type TestServer } from './harness.js';

let server: TestServer;
let networks: FakeNetworks;

beforeEach(async () => {
  const fake = fakeBackend();
  networks = fake.networks;
  server = await startServer(fake.backend);
});
afterEach(() => server.close());

const call = async (method: string, path: string, body?: unknown) => {
  const res = await request(server.socketPath, method, `/v1.50${path}`, body === undefined ? {} : { body: JSON.stringify(body) });
  return { ...res, json: res.text ? (JSON.parse(res.text) as unknown) : undefined };
};

/** The body docker 28.2.2 sends for trace 04's command. */
const TRACE_04_BODY = {
  Driver: 'overlay',
  Scope: '',
  IPAM: {
    Driver: 'default',
    Options: {},
    Config: [{ Subnet: '10.10.0.0/24', IPRange: '10.10.0.128/25', Gateway: '10.10.0.1', AuxiliaryAddresses: { host1: '10.10.0.5', host2: '10.10.0.6' } }],
  },
  Internal: true,
  Attachable: true,
  Ingress: false,
  ConfigOnly: false,
  ConfigFrom: null,
  Options: { 'com.docker.network.driver.mtu': '1400' },
  Labels: { env: 'prod', team: '' },
  Name: 'appnet',
};

describe('POST /networks/create', () => {
  it('validates the Docker body into a NetworkCreateRequest and answers 201 {Id, Warning}', async () => {
    const res = await call('POST', '/networks/create', TRACE_04_BODY);
    assert.equal(res.status, 201);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(res.json, { Id: hexId('net:appnet'), Warning: '' });
    assert.deepEqual(networks.createCalls, [
      {
        name: 'appnet',
        driver: 'overlay',
        internal: true,
        attachable: true,
        ingress: false,
        enableIPv6: false,
        ipam: {
          driver: 'default',
          options: {},
          config: [{ subnet: '10.10.0.0/24', ipRange: '10.10.0.128/25', gateway: '10.10.0.1', auxAddresses: { host1: '10.10.0.5', host2: '10.10.0.6' } }],
        },
        options: { 'com.docker.network.driver.mtu': '1400' },
        labels: { env: 'prod', team: '' },
      },
    ]);
  });

  it('defaults as moby does: Driver bridge, IPAM default, nulls as zero values, CheckDuplicate ignored', async () => {
    const res = await call('POST', '/networks/create', { Name: 'plain', IPAM: null, Labels: null, Options: { a: null }, CheckDuplicate: true, Unknown: 1 });
    assert.equal(res.status, 201);
    const req = networks.createCalls[0]!;
    assert.equal(req.driver, 'bridge');
    assert.deepEqual(req.ipam, { driver: 'default', options: {}, config: [] });
    assert.deepEqual(req.labels, {});
    assert.deepEqual(req.options, { a: '' });
    assert.equal(req.enableIPv6, false);
  });

  it('keeps several IPAM configs in order (trace 05d)', async () => {
    const res = await call('POST', '/networks/create', {
      Name: 'v6net',
      EnableIPv6: true,
      IPAM: { Driver: 'default', Options: { x: 'y' }, Config: [{ Subnet: 'fd00:1::/64' }, { Subnet: '10.99.0.0/24' }] },
      Options: { foo: 'bar' },
    });
    assert.equal(res.status, 201);
    assert.deepEqual(networks.createCalls[0]!.ipam, { driver: 'default', options: { x: 'y' }, config: [{ subnet: 'fd00:1::/64' }, { subnet: '10.99.0.0/24' }] });
    assert.equal(networks.createCalls[0]!.enableIPv6, true);
  });

  const refusals: [string, unknown, number, string][] = [
    ['an empty Name', { Name: '' }, 400, 'invalid name: '],
    ['no body at all', undefined, 400, 'invalid name: '],
    ['an unknown driver', { Name: 'x', Driver: 'weave' }, 404, 'plugin "weave" not found'],
    ['EnableIPv4 false', { Name: 'x', EnableIPv4: false }, 400, 'IPv4 cannot be disabled: Weft networks always have IPv4 addresses'],
    ['a config-only network', { Name: 'x', ConfigOnly: true }, 501, 'config-only networks (--config-only, --config-from) are not supported by Weft'],
  ];
  for (const [what, body, status, message] of refusals) {
    it(`refuses ${what}: ${status} ${message}`, async () => {
      const res = await call('POST', '/networks/create', body);
      assert.equal(res.status, status);
      assert.deepEqual(res.json, { message });
      assert.equal(networks.createCalls.length, 0);
    });
  }

  it('refuses --opt encrypted rather than create an unencrypted network', async () => {
    const res = await call('POST', '/networks/create', { ...TRACE_04_BODY, Options: { encrypted: '' } });
    assert.equal(res.status, 400);
    const { message } = res.json as { message: string };
    assert.match(message, /encrypted/);
    assert.match(message, /IPsec \(ESP\)/);
    assert.match(message, /rather than create it unencrypted/);
    assert.equal(networks.createCalls.length, 0);
  });

  const backendErrors: [string, unknown, number, string][] = [
    [
      'an invalid CIDR',
      { Name: 'bad', IPAM: { Config: [{ Subnet: '10.0.0.0/33' }] } },
      400,
      'invalid network config:\ninvalid subnet 10.0.0.0/33: invalid CIDR block notation',
    ],
    [
      'a gateway outside the subnet',
      { Name: 'gw', IPAM: { Config: [{ Subnet: '10.20.0.0/24', Gateway: '10.30.0.1' }] } },
      400,
      "invalid network config:\ninvalid gateway 10.30.0.1: parent subnet 10.20.0.0/24 doesn't contain this address",
    ],
    [
      'an overlapping subnet',
      { Name: 'ov', IPAM: { Config: [{ Subnet: '172.17.5.0/24' }] } },
      403,
      'invalid pool request: Pool overlaps with other one on this address space',
    ],
    ['a duplicate name', { Name: 'bridge' }, 409, 'network with name bridge already exists'],
  ];
  for (const [what, body, status, message] of backendErrors) {
    it(`passes the backend's error through for ${what}: ${status}`, async () => {
      const res = await call('POST', '/networks/create', body);
      assert.equal(res.status, status);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.deepEqual(res.json, { message });
    });
  }
});

/** Trace 06's network, seeded with its id and creation time. */
function seedAppnet() {
  return networks.seed({
    name: 'appnet',
    id: '8164acb6e152a9384f95ba23c72821c773e1462b331c5356d1a15d56ee33c844',
    created: '2026-11-28T15:53:32.522Z',
    internal: true,
    attachable: true,
    ipam: {
      driver: 'default',
      options: {},
      config: [{ subnet: '10.10.0.0/24', ipRange: '10.10.0.128/25', gateway: '10.10.0.1', auxAddresses: { host2: '10.10.0.6', host1: '10.10.0.5' } }],
    },
    options: { encrypted: '', 'com.docker.network.driver.mtu': '1400' },
    labels: { team: '', env: 'prod' },
  });
}

describe('GET /networks/{ref}', () => {
  it('renders moby field order, sorted maps, and cluster-wide Containers naming the host', async () => {
    const n = seedAppnet();
    networks.attach('appnet', {
      id: 'c08c8167bee573bec392b5ed0f71738b8002e0ce58ca3e3fe2c3dae2d03c1463',
      containerId: 'd5614e76bf3696430afb227e102f811316645e896db9fa174e78eb2cd4e4a4fb',
      name: 'web',
      aliases: [],
      host: 'host2',
      vtep: '192.0.2.12',
      ipv4: '10.10.0.130/24',
      mac: '02:42:0a:0a:00:82',
    });
    const res = await call('GET', '/networks/appnet');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(
      res.text,
      JSON.stringify({
        Name: 'appnet',
        Id: n.id,
        Created: '2026-11-28T15:53:32.522Z',
        Scope: 'global',
        Driver: 'overlay',
        EnableIPv4: true,
        EnableIPv6: false,
        IPAM: {
          Driver: 'default',
          Options: {},
          Config: [{ Subnet: '10.10.0.0/24', IPRange: '10.10.0.128/25', Gateway: '10.10.0.1', AuxiliaryAddresses: { host1: '10.10.0.5', host2: '10.10.0.6' } }],
        },
        Internal: true,
        Attachable: true,
        Ingress: false,
        ConfigFrom: { Network: '' },
        ConfigOnly: false,
        Containers: {
          d5614e76bf3696430afb227e102f811316645e896db9fa174e78eb2cd4e4a4fb: {
            Name: 'web',
            EndpointID: 'c08c8167bee573bec392b5ed0f71738b8002e0ce58ca3e3fe2c3dae2d03c1463',
            MacAddress: '02:42:0a:0a:00:82',
            IPv4Address: '10.10.0.130/24',
            IPv6Address: '',
            Host: 'host2',
          },
        },
        Options: { 'com.docker.network.driver.mtu': '1400', encrypted: '' },
        Labels: { env: 'prod', team: '' },
      }) + '\n',
    );
  });

  it('resolves by id, name and unique id prefix', async () => {
    const n = seedAppnet();
    for (const ref of [n.id, 'appnet', n.id.slice(0, 5)]) {
      const res = await call('GET', `/networks/${ref}`);
      assert.equal((res.json as { Id: string }).Id, n.id, ref);
    }
  });

  it('404s an unknown network with moby text', async () => {
    const res = await call('GET', '/networks/nosuch');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, { message: 'network nosuch not found' });
  });

  it('accepts verbose=true, refuses a non-bool verbose, and applies scope', async () => {
    seedAppnet();
    assert.equal((await call('GET', '/networks/appnet?verbose=true')).status, 200);
    const bad = await call('GET', '/networks/appnet?verbose=maybe');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { message: 'invalid value for verbose: maybe: strconv.ParseBool: parsing "maybe": invalid syntax' });
    assert.equal((await call('GET', '/networks/appnet?scope=global')).status, 200);
    const wrongScope = await call('GET', '/networks/appnet?scope=local');
    assert.equal(wrongScope.status, 404);
    assert.deepEqual(wrongScope.json, { message: 'network appnet not found' });
  });

  it('never sends an empty Created', async () => {
    networks.seed({ name: 'old', created: '' });
    const res = await call('GET', '/networks/old');
    assert.equal((res.json as { Created: string }).Created, '0001-01-01T00:00:00Z');
  });
});

describe('GET /networks', () => {
  type Item = { Name: string; Id: string; Containers: object };
  const names = async (query = '') => {
    const res = await call('GET', `/networks${query}`);
    assert.equal(res.status, 200, res.text);
    return (res.json as Item[]).map((n) => n.Name).sort();
  };
  const filter = (f: object) => `?filters=${encodeURIComponent(JSON.stringify(f))}`;

  beforeEach(() => {
    seedAppnet();
    networks.seed({ name: 'app-back', driver: 'bridge', labels: { env: 'dev' } });
    networks.seed({ name: 'db', labels: { env: 'prod', tier: 'data' } });
    networks.attach('db', { id: hexId('ep'), containerId: hexId('c'), name: 'c', aliases: [], host: 'host1', vtep: '192.0.2.11', ipv4: '10.0.0.2/24', mac: '02:42:0a:00:00:02' });
  });

  it('lists every network with Containers {} (moby fills it only on inspect)', async () => {
    const res = await call('GET', '/networks');
    const items = res.json as Item[];
    assert.equal(items.length, 6);
    for (const item of items) assert.deepEqual(item.Containers, {});
    assert.deepEqual(await names(), ['app-back', 'appnet', 'bridge', 'db', 'host', 'none']);
    assert.deepEqual(await names(), ((await call('GET', '/networks/')).json as Item[]).map((n) => n.Name).sort());
  });

  it('filters by driver, name substring, id prefix, label, scope and type', async () => {
    assert.deepEqual(await names(filter({ driver: { overlay: true } })), ['appnet', 'db']);
    assert.deepEqual(await names(filter({ name: { app: true } })), ['app-back', 'appnet']);
    assert.deepEqual(await names(filter({ driver: { overlay: true }, name: { app: true } })), ['appnet']);
    assert.deepEqual(await names(filter({ id: { [PREDEFINED[0]!.id.slice(0, 6)]: true } })), ['bridge']);
    assert.deepEqual(await names(filter({ label: { env: true } })), ['app-back', 'appnet', 'db']);
    assert.deepEqual(await names(filter({ label: { 'env=prod': true } })), ['appnet', 'db']);
    assert.deepEqual(await names(filter({ label: { 'env=prod': true, tier: true } })), ['db']);
    assert.deepEqual(await names(filter({ scope: { local: true } })), ['app-back', 'bridge', 'host', 'none']);
    assert.deepEqual(await names(filter({ type: { builtin: true } })), ['bridge', 'host', 'none']);
    assert.deepEqual(await names(filter({ type: { custom: true } })), ['app-back', 'appnet', 'db']);
    assert.deepEqual(await names(filter({ dangling: { true: true } })), ['app-back', 'appnet']);
  });

  it('accepts the legacy map[string][]string form', async () => {
    assert.deepEqual(await names(filter({ driver: ['overlay'], name: ['app'] })), ['appnet']);
  });

  it('refuses unknown filter keys and malformed filters with moby text', async () => {
    const unknown = await call('GET', `/networks${filter({ color: { red: true } })}`);
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.json, { message: "invalid filter 'color'" });
    const malformed = await call('GET', '/networks?filters=%7Bnot-json');
    assert.equal(malformed.status, 400);
    assert.deepEqual(malformed.json, { message: 'invalid filter' });
    const badType = await call('GET', `/networks${filter({ type: { weird: true } })}`);
    assert.equal(badType.status, 400);
    assert.deepEqual(badType.json, { message: "invalid filter: 'type'='weird'" });
  });
});

describe('DELETE /networks/{ref}', () => {
  it('answers 204 with no body, then the network is gone', async () => {
    seedAppnet();
    const res = await call('DELETE', '/networks/appnet');
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal((await call('GET', '/networks/appnet')).status, 404);
  });

  it('refuses a predefined network with 403', async () => {
    const res = await call('DELETE', '/networks/bridge');
    assert.equal(res.status, 403);
    assert.deepEqual(res.json, { message: 'bridge is a pre-defined network and cannot be removed' });
  });

  it('refuses a network with endpoints with 403 and moby text', async () => {
    const n = seedAppnet();
    await call('POST', '/networks/appnet/connect', { Container: 'web' });
    const res = await call('DELETE', '/networks/appnet');
    assert.equal(res.status, 403);
    assert.deepEqual(res.json, { message: `error while removing network: network appnet id ${n.id} has active endpoints` });
  });

  it('404s an unknown network', async () => {
    const res = await call('DELETE', '/networks/nosuch');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, { message: 'network nosuch not found' });
  });
});

describe('POST /networks/prune', () => {
  it('applies label and until filters, answering {"NetworksDeleted": […]}', async () => {
    const twoHoursAgo = new Date(Date.now() - 7_200_000).toISOString();
    networks.seed({ name: 'p1', labels: { env: 'prod' }, created: twoHoursAgo });
    networks.seed({ name: 'p2', created: twoHoursAgo });
    networks.seed({ name: 'p3', labels: { env: 'prod' }, created: new Date().toISOString() });
    networks.seed({ name: 'p4', labels: { env: 'prod', keep: '' }, created: twoHoursAgo });
    const f = encodeURIComponent(JSON.stringify({ label: { 'env=prod': true }, 'label!': { keep: true }, until: { '1h': true } }));
    const res = await request(server.socketPath, 'POST', `/v1.50/networks/prune?filters=${f}`);
    assert.equal(res.status, 200);
    assert.equal(res.text, '{"NetworksDeleted":["p1"]}\n');
    const filters = networks.pruneCalls[0]!;
    assert.deepEqual(filters.labels, ['env=prod']);
    assert.deepEqual(filters.labelsNot, ['keep']);
  });

  it('prunes unused custom networks only', async () => {
    networks.seed({ name: 'p1' });
    networks.seed({ name: 'used' });
    await call('POST', '/networks/used/connect', { Container: 'web' });
    const res = await request(server.socketPath, 'POST', '/v1.50/networks/prune');
    assert.deepEqual(JSON.parse(res.text), { NetworksDeleted: ['p1'] });
  });

  it('refuses unknown prune filters', async () => {
    const f = encodeURIComponent(JSON.stringify({ driver: { overlay: true } }));
    const res = await request(server.socketPath, 'POST', `/v1.50/networks/prune?filters=${f}`);
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.text), { message: "invalid filter 'driver'" });
  });
});

describe('POST /networks/{ref}/connect and /disconnect', () => {
  it('validates trace 21 body into an EndpointRequest and answers 200 with no body', async () => {
    seedAppnet();
    const res = await call('POST', '/networks/appnet/connect', {
      Container: 'web',
      EndpointConfig: {
        IPAMConfig: { IPv4Address: '10.10.0.77' },
        Links: null,
        Aliases: ['api', 'api2'],
        MacAddress: '',
        DriverOpts: {},
        GwPriority: 0,
        NetworkID: '',
        EndpointID: '',
        Gateway: '',
        IPAddress: '',
        IPPrefixLen: 0,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        DNSNames: null,
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.deepEqual(networks.connectCalls, [
      { ref: 'appnet', container: 'web', endpoint: { aliases: ['api', 'api2'], ipv4Address: '10.10.0.77', driverOpts: {} } },
    ]);
  });

  it('passes backend refusals through: duplicate endpoint 403, unknown container 404', async () => {
    seedAppnet();
    assert.equal((await call('POST', '/networks/appnet/connect', { Container: 'web', EndpointConfig: { IPAMConfig: {}, Aliases: [] } })).status, 200);
    const dup = await call('POST', '/networks/appnet/connect', { Container: 'web' });
    assert.equal(dup.status, 403);
    assert.deepEqual(dup.json, { message: 'endpoint with name web already exists in network appnet' });
    const missing = await call('POST', '/networks/appnet/connect', { Container: 'ghost' });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { message: 'No such container: ghost' });
  });

  it('refuses badly typed connect bodies and unsupported legacy links', async () => {
    seedAppnet();
    const typed = await call('POST', '/networks/appnet/connect', { Container: 'web', EndpointConfig: { Aliases: 'api' } });
    assert.equal(typed.status, 400);
    assert.deepEqual(typed.json, {
      message: 'invalid JSON: json: cannot unmarshal string into Go struct field ConnectOptions.EndpointConfig.Aliases of type []string',
    });
    const links = await call('POST', '/networks/appnet/connect', { Container: 'web', EndpointConfig: { Links: ['db:db'] } });
    assert.equal(links.status, 400);
    assert.equal(networks.connectCalls.length, 0);
  });

  it('disconnects with Force, and 403s a container that is not connected', async () => {
    seedAppnet();
    await call('POST', '/networks/appnet/connect', { Container: 'web' });
    const res = await call('POST', '/networks/appnet/disconnect', { Container: 'web', Force: true });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.deepEqual(networks.disconnectCalls, [{ ref: 'appnet', container: 'web', force: true }]);
    const again = await call('POST', '/networks/appnet/disconnect', { Container: 'web', Force: false });
    assert.equal(again.status, 403);
    assert.deepEqual(again.json, { message: `container ${hexId('container:web')} is not connected to network appnet` });
  });
});
