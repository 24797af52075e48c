// Transport-level behaviour: ping, version negotiation, unknown routes, the error boundary,
// malformed bodies, and that the server keeps serving after each of them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { conflict, forbidden, invalid, notFound, notImplemented, notModified, unavailable, WeftError } from '../../src/errors.js';
import { fakeBackend, type FakeNetworks } from './fake-backend.js';
import { request, startServer, type TestServer } from './harness.js';

let server: TestServer;
let networks: FakeNetworks;

before(async () => {
  const fake = fakeBackend();
  networks = fake.networks;
  server = await startServer(fake.backend);
});
after(() => server.close());

const get = (path: string) => request(server.socketPath, 'GET', path);

/** The server still answers a normal request (after something bad happened). */
async function assertServing(): Promise<void> {
  const res = await get('/v1.50/networks');
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.text).length >= 3, true);
}

describe('ping', () => {
  const pingHeaders = {
    'api-version': '1.50',
    ostype: 'linux',
    'docker-experimental': 'false',
    server: 'Docker/28.2.2 (linux)',
    swarm: 'inactive',
    'cache-control': 'no-cache, no-store, must-revalidate',
    pragma: 'no-cache',
    'content-type': 'text/plain; charset=utf-8',
  };

  it('HEAD /_ping answers 200 with docker-api.md §1 headers and Content-Length 0', async () => {
    const res = await request(server.socketPath, 'HEAD', '/_ping');
    assert.equal(res.status, 200);
    for (const [k, v] of Object.entries(pingHeaders)) assert.equal(res.headers[k], v, k);
    assert.equal(res.headers['content-length'], '0');
    assert.equal(res.text, '');
  });

  it('GET /_ping answers OK with the same headers', async () => {
    const res = await get('/_ping');
    assert.equal(res.status, 200);
    for (const [k, v] of Object.entries(pingHeaders)) assert.equal(res.headers[k], v, k);
    assert.equal(res.text, 'OK');
  });

  it('sends the header names in moby canonical case', async () => {
    const res = await request(server.socketPath, 'HEAD', '/_ping');
    for (const name of ['Api-Version', 'Ostype', 'Server']) assert.ok(res.rawHeaders.includes(name), name);
  });

  it('is routed under a version prefix too', async () => {
    assert.equal((await get('/v1.44/_ping')).text, 'OK');
  });
});

describe('version negotiation', () => {
  it('accepts 1.50, 1.24 and unversioned paths', async () => {
    for (const path of ['/v1.50/version', '/v1.24/version', '/version', '/v1.41/networks']) {
      assert.equal((await get(path)).status, 200, path);
    }
  });

  it('refuses 1.51 as too new, with moby text', async () => {
    const res = await get('/v1.51/version');
    assert.equal(res.status, 400);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(res.text), { message: 'client version 1.51 is too new. Maximum supported API version is 1.50' });
  });

  it('refuses 1.12 as too old, with moby text', async () => {
    const res = await get('/v1.12/networks');
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.text), {
      message: 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
    });
  });

  it('sets Api-Version, Ostype and Server on every response, errors included', async () => {
    for (const path of ['/v1.51/version', '/nosuch', '/networks/nosuch', '/info']) {
      const res = await get(path);
      assert.equal(res.headers['api-version'], '1.50', path);
      assert.equal(res.headers.ostype, 'linux', path);
      assert.equal(res.headers.server, 'Docker/28.2.2 (linux)', path);
    }
  });
});

describe('unknown routes', () => {
  it('answer 404 {"message":"page not found"} with Content-Type exactly application/json', async () => {
    for (const [method, path] of [
      ['GET', '/v1.50/volumes/x'],
      ['GET', '/plugins/x/json'],
      ['DELETE', '/v1.50/version'],
      ['PUT', '/networks/create'],
    ] as const) {
      const res = await request(server.socketPath, method, path);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(res.text), { message: 'page not found' });
    }
    await assertServing();
  });
});

describe('malformed bodies', () => {
  const create = (body: string, headers?: Record<string, string>) =>
    request(server.socketPath, 'POST', '/v1.50/networks/create', { body, ...(headers ? { headers } : {}) });

  const cases: [string, string][] = [
    ['{invalid json', "invalid JSON: invalid character 'i' looking for beginning of object key string"],
    ['{"Name": "x",}', "invalid JSON: invalid character '}' looking for beginning of object key string"],
    ['{"Name" "x"}', "invalid JSON: invalid character '\"' after object key"],
    ['{"Name": "x" "Driver": "y"}', "invalid JSON: invalid character '\"' after object key:value pair"],
    ['{"Name": tru}', "invalid JSON: invalid character '}' in literal true (expecting 'e')"],
    ['{"Name": "x"', 'invalid JSON: unexpected EOF'],
    ['[1, 2 3]', "invalid JSON: invalid character '3' after array element"],
    ['{"Name": "x"} {"Name": "y"}', 'unexpected content after JSON'],
    ['   ', 'invalid JSON: got EOF while reading request body'],
    ['{"Name": 1}', 'invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Name of type string'],
    ['{"Name": "x", "Internal": "yes"}', 'invalid JSON: json: cannot unmarshal string into Go struct field CreateRequest.Internal of type bool'],
    ['{"Name": "x", "Labels": ["a"]}', 'invalid JSON: json: cannot unmarshal array into Go struct field CreateRequest.Labels of type map[string]string'],
    ['[]', 'invalid JSON: json: cannot unmarshal array into Go value of type network.CreateRequest'],
  ];
  for (const [body, message] of cases) {
    it(`${JSON.stringify(body)} → 400 ${message}`, async () => {
      const res = await create(body);
      assert.equal(res.status, 400);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(res.text), { message });
      await assertServing();
    });
  }

  it('refuses a body that is not declared JSON, like moby CheckForJSON', async () => {
    const res = await create('{"Name":"x"}', { 'Content-Type': 'text/plain' });
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.text), { message: "unsupported Content-Type header (text/plain): must be 'application/json'" });
  });

  it('keeps serving after a request line Node cannot parse', async () => {
    const net = await import('node:net');
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.createConnection(server.socketPath);
      let data = '';
      s.on('data', (d) => (data += d.toString()));
      s.on('end', () => resolve(data));
      s.on('error', reject);
      s.end('GARBAGE \x00\r\n\r\n');
    });
    assert.match(reply, /^HTTP\/1.1 400/);
    await assertServing();
  });
});

describe('error boundary', () => {
  const kinds: [WeftError, number][] = [
    [invalid('bad thing'), 400],
    [forbidden('not allowed'), 403],
    [notFound('network x not found'), 404],
    [conflict('network with name x already exists'), 409],
    [unavailable('cluster store unreachable'), 503],
    [notImplemented('not in Weft'), 501],
  ];
  for (const [err, status] of kinds) {
    it(`${err.kind} → ${status} with the message verbatim`, async () => {
      networks.failWith = err;
      try {
        const res = await get('/v1.50/networks');
        assert.equal(res.status, status);
        assert.equal(res.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(res.text), { message: err.message });
      } finally {
        networks.failWith = undefined;
      }
      await assertServing();
    });
  }

  it('not-modified → 304 with an empty body', async () => {
    networks.failWith = notModified();
    try {
      const res = await get('/v1.50/networks');
      assert.equal(res.status, 304);
      assert.equal(res.text, '');
    } finally {
      networks.failWith = undefined;
    }
  });

  it('an unexpected error → 500 with its message, logged, and the daemon keeps running', async () => {
    networks.failWith = new TypeError('boom: cannot read properties of undefined');
    const before = server.errors.length;
    try {
      const res = await get('/v1.50/networks');
      assert.equal(res.status, 500);
      assert.deepEqual(JSON.parse(res.text), { message: 'boom: cannot read properties of undefined' });
    } finally {
      networks.failWith = undefined;
    }
    assert.equal(server.errors.length, before + 1);
    await assertServing();
  });
});

describe('upgrade requests (hijacked streams)', () => {
  const upgrade = async (path: string) => {
    const net = await import('node:net');
    return new Promise<string>((resolve, reject) => {
      const s = net.createConnection(server.socketPath);
      let data = '';
      s.on('data', (d) => (data += d.toString()));
      s.on('end', () => resolve(data));
      s.on('error', reject);
      s.write(`POST ${path} HTTP/1.1\r\nHost: api.moby.localhost\r\nContent-Length: 0\r\nConnection: Upgrade\r\nContent-Type: text/plain\r\nUpgrade: tcp\r\n\r\n`);
    });
  };

  it('answer an unknown hijack route with a normal 404 JSON error on the socket', async () => {
    const reply = await upgrade('/v1.50/containers/abc/attach?stream=1&stdout=1');
    assert.match(reply, /^HTTP\/1.1 404 Not Found\r\n/);
    assert.match(reply, /\r\nApi-Version: 1.50\r\n/);
    assert.match(reply, /\r\nContent-Type: application\/json\r\n/);
    assert.ok(reply.endsWith('\r\n\r\n{"message":"page not found"}\n'));
    await assertServing();
  });
});
