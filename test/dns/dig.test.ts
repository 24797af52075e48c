// End to end in a throwaway namespace: the resolver with the real NameTable, asked by dig run
// inside the namespace, forwarding to a dnsmasq (and fake resolvers) inside that same
// namespace. Runs once per socket path: the default (setns addon) and WEFT_DNS_SOCKETS=ipc.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import type dgram from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { NameTable } from '../../src/cluster/name-table.js';
import { createNetnsSocketBinder, type NetnsSocketBinder } from '../../src/dataplane/netns-socket.js';
import { Resolver } from '../../src/dns/resolver.js';
import { exchange, FakeUpstream, queryPacket } from './helpers/dns.js';
import { digOne, dig, makeNetns, type Netns, udpClientIn } from './helpers/netns.js';

const CLIENT = 'c-client';
const DNSMASQ = '127.0.0.53';
const DEAD = '127.0.0.57'; // nothing listens there
const SILENT = '127.0.0.54';

function names(): NameTable {
  const t = new NameTable();
  // appnet spans two hosts; the table does not care where an endpoint lives.
  t.setEndpoint({ id: 'e1', networkId: 'n-app', networkName: 'appnet', containerId: CLIENT, name: 'client', aliases: [], ip: '10.0.0.2/24' });
  t.setEndpoint({ id: 'e2', networkId: 'n-app', networkName: 'appnet', containerId: 'c-web', name: 'web', aliases: ['www'], ip: '10.0.0.3/24' });
  t.setEndpoint({ id: 'e3', networkId: 'n-app', networkName: 'appnet', containerId: 'c-k1', name: 'k1', aliases: ['kv'], ip: '10.0.0.4/24' });
  t.setEndpoint({ id: 'e4', networkId: 'n-app', networkName: 'appnet', containerId: 'c-k2', name: 'k2', aliases: ['kv'], ip: '10.0.0.5/24' });
  t.setEndpoint({ id: 'e5', networkId: 'n-other', networkName: 'other', containerId: 'c-lonely', name: 'lonely', aliases: [], ip: '10.1.0.2/24' });
  return t;
}

async function startDnsmasq(ns: Netns, client: dgram.Socket): Promise<ChildProcess> {
  // --local=/#/: answer only from its own data (NXDOMAIN for the rest); it has no upstream.
  const child = spawn(
    'nsenter',
    [
      `--net=${ns.path}`,
      'dnsmasq',
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--pid-file=',
      '--user=root',
      '--group=root',
      '--bind-interfaces',
      `--listen-address=${DNSMASQ}`,
      '--port=53',
      '--address=/example.test/198.18.1.99',
      '--local=/#/',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) break;
    const reply = await exchange(client, dnsPacket.encode(queryPacket('example.test')), 100, { ip: DNSMASQ, port: 53 });
    if (reply !== undefined) return child;
  }
  child.kill('SIGKILL');
  throw new Error('dnsmasq did not start in the test namespace');
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

const paths: [string, NodeJS.ProcessEnv][] = [
  ['default: setns addon', {}],
  ['WEFT_DNS_SOCKETS=ipc', { WEFT_DNS_SOCKETS: 'ipc' }],
];

for (const [label, env] of paths) {
  describe(`embedded DNS with dig (${label})`, () => {
    let ns: Netns;
    let client: dgram.Socket;
    let dnsmasq: ChildProcess | undefined;
    let silent: FakeUpstream;
    let binder: NetnsSocketBinder;
    const table = names();
    const open: Resolver[] = [];

    before(async () => {
      binder = createNetnsSocketBinder({ env });
      assert.equal(binder.kind, env['WEFT_DNS_SOCKETS'] === 'ipc' ? 'ipc' : 'addon');
      ns = await makeNetns('c1');
      client = udpClientIn(ns);
      silent = new FakeUpstream(ns, SILENT, 'silent');
      dnsmasq = await startDnsmasq(ns, client);
    });

    after(async () => {
      for (const r of open) await r.close().catch(() => {});
      await stop(dnsmasq);
      client?.close();
      await silent?.close();
      await ns?.remove();
    });

    async function withResolver(upstreams: string[], body: (r: Resolver) => Promise<void>): Promise<void> {
      const resolver = new Resolver({ lookup: table, binder, upstreams });
      open.push(resolver);
      try {
        await resolver.attach(CLIENT, ns.path);
        await body(resolver);
      } finally {
        await resolver.close();
      }
    }

    it('resolves name and name.network in any letter case, TTL 600', async () => {
      await withResolver([DNSMASQ], async () => {
        for (const q of ['web', 'WEB', 'www', 'web.appnet', 'Web.AppNet', 'WWW.APPNET.']) {
          const r = await digOne(ns, q);
          assert.equal(r.status, 'NOERROR', q);
          assert.deepEqual(r.answers.map((a) => [a.type, a.ttl, a.data]), [['A', 600, '10.0.0.3']], q);
          assert.ok(r.flags.includes('aa'), q);
        }
      });
    });

    it('answers over TCP, several queries on one connection', async () => {
      await withResolver([DNSMASQ], async () => {
        const [web, kv, ext] = await dig(ns, ['+tcp', '+keepopen', 'web', 'kv.appnet', 'example.test']);
        assert.deepEqual(web?.answers.map((a) => a.data), ['10.0.0.3']);
        assert.deepEqual(kv?.answers.map((a) => a.data).sort(), ['10.0.0.4', '10.0.0.5']);
        assert.deepEqual(ext?.answers.map((a) => a.data), ['198.18.1.99']);
        assert.match(web?.output ?? '', /\(TCP\)/);
      });
    });

    it('round-robins a shared alias', async () => {
      await withResolver([], async () => {
        const firsts = new Set<string>();
        for (let i = 0; i < 4; i++) firsts.add((await digOne(ns, 'kv')).answers[0]?.data ?? '');
        assert.deepEqual([...firsts].sort(), ['10.0.0.4', '10.0.0.5']);
      });
    });

    it('answers AAAA for a local name with an empty NOERROR, and PTR with name.network', async () => {
      await withResolver([DNSMASQ], async () => {
        const aaaa = await digOne(ns, 'web', 'AAAA');
        assert.equal(aaaa.status, 'NOERROR');
        assert.deepEqual(aaaa.answers, []);
        const ptr = await digOne(ns, '10.0.0.3', '-x');
        assert.deepEqual(ptr.answers.map((a) => [a.type, a.data]), [['PTR', 'web.appnet.']]);
      });
    });

    it('does not answer names on networks the asker is not on', async () => {
      await withResolver([DNSMASQ], async (resolver) => {
        const forwardedBefore = resolver.stats().forwarded;
        const r = await digOne(ns, 'lonely');
        assert.equal(r.status, 'NXDOMAIN'); // dnsmasq's verdict, not ours
        assert.deepEqual(r.answers, []);
        assert.equal(resolver.stats().forwarded, forwardedBefore + 1);
        const qualified = await digOne(ns, 'lonely.other');
        assert.deepEqual(qualified.answers, []);
      });
    });

    it('answers NXDOMAIN itself for an unknown name under the asker\'s network', async () => {
      await withResolver([DNSMASQ], async (resolver) => {
        const r = await digOne(ns, 'x.appnet');
        assert.equal(r.status, 'NXDOMAIN');
        assert.ok(r.flags.includes('aa'), 'answered by Weft, not the upstream');
        assert.equal(resolver.stats().forwarded, 0);
      });
    });

    it('forwards to the upstream inside the namespace, failing over past a dead first one', async () => {
      await withResolver([DEAD, DNSMASQ], async () => {
        const first = await digOne(ns, 'example.test');
        assert.equal(first.status, 'NOERROR');
        assert.deepEqual(first.answers.map((a) => a.data), ['198.18.1.99']);
        const second = await digOne(ns, 'Example.Test');
        assert.deepEqual(second.answers.map((a) => a.data), ['198.18.1.99']);
      });
    });

    it('answers SERVFAIL within a second when the only upstream drops queries', async () => {
      await withResolver([SILENT], async () => {
        const r = await digOne(ns, 'example.test');
        assert.equal(r.status, 'SERVFAIL');
        // The deadline is the contract here (DESIGN.md: always answer, fast), not a speed figure.
        assert.ok(r.queryTimeMs !== undefined && r.queryTimeMs < 1000, `query time ${r.queryTimeMs} ms`);
        assert.ok(silent.count('example.test') >= 1);
      });
    });

    it('answers SERVFAIL at once without upstreams, and survives random bytes', async () => {
      await withResolver([], async () => {
        assert.equal((await digOne(ns, 'example.test')).status, 'SERVFAIL');
        for (let i = 0; i < 100; i++) {
          const junk = Buffer.alloc(1 + Math.floor(Math.random() * 64));
          for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(Math.random() * 256);
          client.send(junk, 53, '127.0.0.11');
        }
        assert.deepEqual((await digOne(ns, 'web')).answers.map((a) => a.data), ['10.0.0.3']);
      });
    });

    // Last: it stops dnsmasq.
    it('answers SERVFAIL within a second after the upstream stops', async () => {
      await withResolver([DNSMASQ], async () => {
        assert.equal((await digOne(ns, 'example.test')).status, 'NOERROR');
        await stop(dnsmasq);
        const r = await digOne(ns, 'example.test');
        assert.equal(r.status, 'SERVFAIL');
        assert.ok(r.queryTimeMs !== undefined && r.queryTimeMs < 1000, `query time ${r.queryTimeMs} ms`);
        // Local names do not depend on the upstream.
        assert.equal((await digOne(ns, 'web')).status, 'NOERROR');
      });
    });
  });
}
