// Both ways of binding sockets inside a namespace: the setns addon and the IPC handoff.
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import {
  AddonSocketBinder,
  createNetnsSocketBinder,
  IpcSocketBinder,
  loadNetnsAddon,
  type NetnsSocketBinder,
  type NetnsSockets,
} from '../../src/dataplane/netns-socket.js';
import { exchange } from './helpers/dns.js';
import { makeNetns, type Netns, udpClientIn } from './helpers/netns.js';

function addonBinder(): AddonSocketBinder {
  const load = loadNetnsAddon();
  if ('error' in load) throw load.error;
  return new AddonSocketBinder(load.addon);
}

async function closeAll(s: NetnsSockets): Promise<void> {
  await new Promise<void>((r) => s.udp.close(() => r()));
  await new Promise<void>((r) => s.upstream.close(() => r()));
  await new Promise<void>((r) => s.tcp.close(() => r()));
}

describe('the setns addon', () => {
  let ns: Netns;
  before(async () => {
    ns = await makeNetns('a');
  });
  after(async () => {
    await ns?.remove();
  });

  it('loads', () => {
    const load = loadNetnsAddon();
    assert.ok('addon' in load, 'error' in load ? load.error.message : '');
  });

  it('leaves the calling thread in its own namespace, after success and after failure', () => {
    const load = loadNetnsAddon();
    if ('error' in load) throw load.error;
    const home = readlinkSync('/proc/thread-self/ns/net');
    const fd = load.addon.bindInNetns(ns.path, 'udp', '127.0.0.1', 0);
    assert.equal(readlinkSync('/proc/thread-self/ns/net'), home);
    assert.throws(() => load.addon.bindInNetns(ns.path, 'udp', '198.18.1.200', 53), { code: 'EADDRNOTAVAIL' });
    assert.equal(readlinkSync('/proc/thread-self/ns/net'), home);
    const socket = dgram.createSocket('udp4');
    socket.bind({ fd });
    socket.close();
  });

  it('reports bad arguments and missing namespaces as errors', () => {
    const load = loadNetnsAddon();
    if ('error' in load) throw load.error;
    const bind = load.addon.bindInNetns as (...args: unknown[]) => number;
    assert.throws(() => bind(ns.path, 'sctp', '127.0.0.1', 0), TypeError);
    assert.throws(() => bind(ns.path, 'udp', 'nonsense', 0), TypeError);
    assert.throws(() => bind(ns.path, 'udp', '127.0.0.1', 70000), TypeError);
    assert.throws(() => bind(ns.path, 'udp'), TypeError);
    assert.throws(() => bind('/run/netns/wdns-does-not-exist', 'udp', '127.0.0.1', 0), { code: 'ENOENT' });
    assert.throws(() => bind('/etc/hostname', 'udp', '127.0.0.1', 0), { code: 'EINVAL', syscall: 'setns' });
  });
});

const binders: [string, () => NetnsSocketBinder][] = [
  ['addon', addonBinder],
  ['ipc', () => new IpcSocketBinder()],
];

for (const [kind, make] of binders) {
  describe(`${kind} binder`, () => {
    let ns: Netns;
    let client: dgram.Socket;
    before(async () => {
      ns = await makeNetns('b');
      client = udpClientIn(ns);
    });
    after(async () => {
      client?.close();
      await ns?.remove();
    });

    it('binds UDP and TCP at 127.0.0.11:53 and an upstream socket, all inside the namespace', async () => {
      const binder = make();
      assert.equal(binder.kind, kind);
      const sockets = await binder.bind(ns.path);
      try {
        assert.deepEqual(sockets.udp.address(), { address: '127.0.0.11', family: 'IPv4', port: 53 });
        assert.deepEqual(sockets.tcp.address(), { address: '127.0.0.11', family: 'IPv4', port: 53 });
        assert.equal(sockets.tcp.listening, true);
        const up = sockets.upstream.address();
        assert.equal(up.address, '0.0.0.0');
        assert.ok(up.port > 0);
        // Reachable from inside the namespace: echo through the UDP socket.
        sockets.udp.on('message', (msg, rinfo) => sockets.udp.send(msg, rinfo.port, rinfo.address));
        const echoed = await exchange(client, Buffer.from([0xab, 0xcd, 1, 2, 3]));
        assert.deepEqual(echoed, Buffer.from([0xab, 0xcd, 1, 2, 3]));
        // ...and the upstream socket sends from inside it too.
        const seen = new Promise<dgram.RemoteInfo>((resolve) => sockets.udp.once('message', (_m, rinfo) => resolve(rinfo)));
        sockets.upstream.send(Buffer.from([9, 9]), 53, '127.0.0.11');
        assert.equal((await seen).port, up.port);
      } finally {
        await closeAll(sockets);
      }
    });

    it('fails cleanly when the address is taken, and can bind again once it is free', async () => {
      const binder = make();
      const first = await binder.bind(ns.path);
      try {
        await assert.rejects(binder.bind(ns.path), /EADDRINUSE|address already in use/i);
      } finally {
        await closeAll(first);
      }
      const again = await binder.bind(ns.path);
      await closeAll(again);
    });

    it('rejects a namespace that does not exist', async () => {
      await assert.rejects(make().bind('/run/netns/wdns-does-not-exist'));
    });
  });
}

describe('createNetnsSocketBinder', () => {
  it('uses the addon by default and the IPC handoff with WEFT_DNS_SOCKETS=ipc, saying which', () => {
    const logged: string[] = [];
    const logger = { info: (o: object) => logged.push(JSON.stringify(o)), warn: (o: object) => logged.push(JSON.stringify(o)) };
    assert.equal(createNetnsSocketBinder({ env: {}, logger }).kind, 'addon');
    assert.equal(createNetnsSocketBinder({ env: { WEFT_DNS_SOCKETS: 'ipc' }, logger }).kind, 'ipc');
    assert.match(logged[0] ?? '', /"dnsSockets":"addon"/);
    assert.match(logged[1] ?? '', /"dnsSockets":"ipc"/);
  });
});
