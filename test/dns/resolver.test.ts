// The resolver against a fake NameLookup, served inside a throwaway namespace, queried by an
// in-process client inside the same namespace, with fake upstream resolvers inside it too.
// Runs once per socket path (setns addon, IPC handoff).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { AddonSocketBinder, IpcSocketBinder, loadNetnsAddon, type NetnsSocketBinder } from '../../src/dataplane/netns-socket.js';
import type { LookupResult, NameLookup } from '../../src/dns/lookup.js';
import { Resolver } from '../../src/dns/resolver.js';
import { ask, decodeReply, exchange, FakeUpstream, queryPacket } from './helpers/dns.js';
import { makeNetns, type Netns, udpClientIn } from './helpers/netns.js';

// A TCP client inside the namespace: sends the framed messages, half-closes, prints what came
// back (hex) once the server closes its side.
const TCP_CLIENT = String.raw`
const s = require('node:net').connect({ host: '127.0.0.11', port: 53 }, () => {
  s.write(Buffer.from(process.argv[1], 'hex'));
  s.end();
});
const chunks = [];
s.on('data', (c) => chunks.push(c));
s.on('end', () => process.stdout.write(Buffer.concat(chunks).toString('hex')));
`;

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

function unframe(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off + 2 <= data.length; ) {
    const len = data.readUInt16BE(off);
    out.push(data.subarray(off + 2, off + 2 + len));
    off += 2 + len;
  }
  return out;
}

function tcpExchange(ns: Netns, messages: Buffer[]): Promise<Buffer[]> {
  const payload = Buffer.concat(messages.map(frame)).toString('hex');
  return new Promise((resolve, reject) => {
    execFile('nsenter', [`--net=${ns.path}`, process.execPath, '-e', TCP_CLIENT, payload], { timeout: 10_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(unframe(Buffer.from(stdout, 'hex')));
    });
  });
}

const ASKER = 'c-test';

// What the fake knows: web (one address), pool (three), v6only, x.appnet is NXDOMAIN.
const fakeLookup = {
  lookups: 0,
  lookup(asker: string, name: string): LookupResult {
    this.lookups++;
    if (asker !== ASKER) return { kind: 'forward' };
    switch (name.toLowerCase().replace(/\.$/, '')) {
      case 'web':
        return { kind: 'addresses', addresses: ['10.0.0.3'] };
      case 'pool':
        return { kind: 'addresses', addresses: ['10.0.0.11', '10.0.0.12', '10.0.0.13'] };
      case 'v6only':
        return { kind: 'addresses', addresses: ['fd00::5'] };
      case 'x.appnet':
        return { kind: 'nxdomain' };
      default:
        return { kind: 'forward' };
    }
  },
  reverse(asker: string, ip: string): string | undefined {
    return asker === ASKER && ip === '10.0.0.3' ? 'web.appnet' : undefined;
  },
} satisfies NameLookup & { lookups: number };

const binders: [string, () => NetnsSocketBinder][] = [
  [
    'addon',
    () => {
      const load = loadNetnsAddon();
      if ('error' in load) throw load.error;
      return new AddonSocketBinder(load.addon);
    },
  ],
  ['ipc', () => new IpcSocketBinder()],
];

for (const [kind, makeBinder] of binders) {
  describe(`Resolver (${kind} sockets)`, () => {
    let ns: Netns;
    let client: dgram.Socket;
    let good: FakeUpstream;
    let silent: FakeUpstream;
    let refusing: FakeUpstream;
    const open: Resolver[] = [];

    before(async () => {
      ns = await makeNetns('r');
      client = udpClientIn(ns);
      good = new FakeUpstream(ns, '127.0.0.53', 'answer', { 'example.test': '198.18.1.99' });
      silent = new FakeUpstream(ns, '127.0.0.54', 'silent');
      refusing = new FakeUpstream(ns, '127.0.0.55', 'refuse');
    });

    after(async () => {
      for (const r of open) await r.close().catch(() => {});
      client?.close();
      await good?.close();
      await silent?.close();
      await refusing?.close();
      await ns?.remove();
    });

    // One resolver at a time owns 127.0.0.11:53 in the namespace; each test closes its own.
    async function withResolver(upstreams: string[], body: (r: Resolver) => Promise<void>): Promise<void> {
      const resolver = new Resolver({ lookup: fakeLookup, binder: makeBinder(), upstreams });
      open.push(resolver);
      try {
        await resolver.attach(ASKER, ns.path);
        await body(resolver);
      } finally {
        await resolver.close();
      }
    }

    it('answers a local name with TTL 600, authoritatively, echoing the question', async () => {
      await withResolver(['127.0.0.53'], async () => {
        const r = await ask(client, queryPacket('WeB'));
        assert.equal(r.rcode, 'NOERROR');
        assert.equal(r.flag_aa, true);
        assert.equal(r.flag_rd, true);
        assert.equal(r.flag_ra, true);
        assert.deepEqual(r.questions, [{ name: 'WeB', type: 'A', class: 'IN' }]);
        assert.deepEqual(r.answers.map((a) => [a.name, a.type, a.ttl, a.data]), [['WeB', 'A', 600, '10.0.0.3']]);
      });
    });

    it('rotates several addresses per query (round-robin), also when served from the cache', async () => {
      await withResolver([], async () => {
        const firsts: string[] = [];
        for (let i = 0; i < 6; i++) {
          const r = await ask(client, queryPacket('pool'));
          const ips = r.answers.map((a) => String(a.data)) ?? [];
          assert.deepEqual([...ips].sort(), ['10.0.0.11', '10.0.0.12', '10.0.0.13']);
          firsts.push(ips[0]!);
        }
        assert.deepEqual(firsts, ['10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.11', '10.0.0.12', '10.0.0.13']);
      });
    });

    it('gives an empty NOERROR for AAAA of an IPv4-only local name, and AAAA records where there are some', async () => {
      await withResolver(['127.0.0.53'], async () => {
        const before = good.count('web');
        const r = await ask(client, queryPacket('web', 'AAAA'));
        assert.equal(r.rcode, 'NOERROR');
        assert.deepEqual(r.answers, []);
        assert.equal(good.count('web'), before, 'not forwarded');
        const v6 = await ask(client, queryPacket('v6only', 'AAAA'));
        assert.deepEqual(v6.answers.map((a) => a.data), ['fd00::5']);
        const v4 = await ask(client, queryPacket('v6only', 'A'));
        assert.equal(v4.rcode, 'NOERROR');
        assert.deepEqual(v4.answers, []);
      });
    });

    it('answers PTR for a local address with the lookup\'s name', async () => {
      await withResolver([], async () => {
        const r = await ask(client, queryPacket('3.0.0.10.in-addr.arpa', 'PTR'));
        assert.equal(r.rcode, 'NOERROR');
        assert.deepEqual(r.answers.map((a) => [a.type, a.ttl, a.data]), [['PTR', 600, 'web.appnet']]);
      });
    });

    it('answers NXDOMAIN for nxdomain names at once and never forwards them', async () => {
      await withResolver(['127.0.0.53'], async () => {
        const r = await ask(client, queryPacket('x.appnet'));
        assert.equal(r.rcode, 'NXDOMAIN');
        assert.equal(good.count('x.appnet'), 0);
      });
    });

    it('forwards other names to the upstream, from inside the namespace', async () => {
      await withResolver(['127.0.0.53'], async () => {
        const r = await ask(client, queryPacket('example.test'));
        assert.equal(r.rcode, 'NOERROR');
        assert.deepEqual(r.answers.map((a) => a.data), ['198.18.1.99']);
        assert.equal(good.count('example.test') > 0, true);
        const unknown = await ask(client, queryPacket('nothing.test'));
        assert.equal(unknown.rcode, 'NXDOMAIN', 'the upstream\'s own NXDOMAIN is relayed');
      });
    });

    it('forwards PTR for addresses that are not local', async () => {
      await withResolver(['127.0.0.53'], async () => {
        const r = await ask(client, queryPacket('9.9.9.10.in-addr.arpa', 'PTR'));
        assert.equal(r.rcode, 'NXDOMAIN');
        assert.equal(good.count('9.9.9.10.in-addr.arpa'), 1);
      });
    });

    it('fails over past a silent upstream, then skips it', async () => {
      await withResolver(['127.0.0.54', '127.0.0.53'], async () => {
        const first = await ask(client, queryPacket('example.test'));
        assert.deepEqual(first.answers.map((a) => a.data), ['198.18.1.99']);
        assert.equal(silent.count('example.test'), 1);
        const second = await ask(client, queryPacket('example.test'));
        assert.deepEqual(second.answers.map((a) => a.data), ['198.18.1.99']);
        assert.equal(silent.count('example.test'), 1, 'the silent upstream is skipped while it is down');
      });
    });

    it('fails over past a refusing upstream', async () => {
      await withResolver(['127.0.0.55', '127.0.0.53'], async () => {
        const r = await ask(client, queryPacket('example.test'));
        assert.equal(r.rcode, 'NOERROR');
        assert.deepEqual(r.answers.map((a) => a.data), ['198.18.1.99']);
        assert.equal(refusing.count('example.test'), 1);
      });
    });

    it('answers SERVFAIL when no upstream answers (silent, refusing, nothing listening)', async () => {
      await withResolver(['127.0.0.54', '127.0.0.55', '127.0.0.56'], async (resolver) => {
        const r = await ask(client, queryPacket('example.test'), 2000);
        assert.equal(r.rcode, 'SERVFAIL');
        assert.equal(r.questions?.[0]?.name, 'example.test');
        assert.equal(resolver.stats().servfail, 1);
      });
    });

    it('answers SERVFAIL for non-local names when no upstream is configured, and still serves local ones', async () => {
      await withResolver([], async () => {
        assert.equal((await ask(client, queryPacket('example.test'))).rcode, 'SERVFAIL');
        assert.equal((await ask(client, queryPacket('web'))).rcode, 'NOERROR');
      });
    });

    it('answers FORMERR to an unreadable query, drops what has no header, and keeps running', async () => {
      await withResolver([], async (resolver) => {
        // A header announcing one question, followed by half a name.
        const broken = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61, 0x62]);
        const reply = await exchange(client, broken);
        assert.ok(reply);
        const decoded = decodeReply(reply);
        assert.equal(decoded.id, 0x1234);
        assert.equal(decoded.rcode, 'FORMERR');
        assert.equal(decoded.flag_qr, true);

        // Too short for a header: no reply; a burst of random bytes: whatever, but no crash.
        client.send(Buffer.from([1, 2, 3]), 53, '127.0.0.11');
        for (let i = 0; i < 200; i++) {
          const junk = Buffer.alloc(1 + Math.floor(Math.random() * 100));
          for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(Math.random() * 256);
          client.send(junk, 53, '127.0.0.11');
        }
        const ok = await ask(client, queryPacket('web'));
        assert.equal(ok.rcode, 'NOERROR');
        assert.ok(resolver.stats().dropped >= 1);
      });
    });

    it('answers NOTIMP to opcodes other than QUERY', async () => {
      await withResolver([], async () => {
        const update = dnsPacket.encode({ ...queryPacket('web'), flags: 5 << 11 });
        const reply = await exchange(client, update);
        assert.ok(reply);
        assert.equal(decodeReply(reply).rcode, 'NOTIMP');
      });
    });

    it('sees changes in the lookup at once, despite its answer cache', async () => {
      let ip = '10.9.0.1';
      const changing = { lookup: () => ({ kind: 'addresses' as const, addresses: [ip] }), reverse: () => undefined } satisfies NameLookup;
      const resolver = new Resolver({ lookup: changing, binder: makeBinder(), upstreams: [] });
      open.push(resolver);
      try {
        await resolver.attach(ASKER, ns.path);
        const q = queryPacket('moving');
        assert.deepEqual((await ask(client, q)).answers.map((a) => a.data), ['10.9.0.1']);
        assert.deepEqual((await ask(client, q)).answers.map((a) => a.data), ['10.9.0.1']);
        ip = '10.9.0.2';
        assert.deepEqual((await ask(client, q)).answers.map((a) => a.data), ['10.9.0.2']);
        assert.ok(resolver.stats().cached >= 1);
      } finally {
        await resolver.close();
      }
    });

    it('echoes EDNS and truncates a UDP answer that does not fit', async () => {
      // 50 A records of 19 bytes: too big for plain DNS's 512 bytes, small enough for EDNS's 1232.
      const many = Array.from({ length: 50 }, (_, i) => `10.8.0.${i + 1}`);
      const big = { lookup: () => ({ kind: 'addresses' as const, addresses: many }), reverse: () => undefined } satisfies NameLookup;
      const resolver = new Resolver({ lookup: big, binder: makeBinder(), upstreams: [] });
      open.push(resolver);
      try {
        await resolver.attach(ASKER, ns.path);
        const plain = await ask(client, queryPacket('big'));
        assert.equal(plain.flag_tc, true);
        assert.deepEqual(plain.answers, []);
        const edns = await ask(client, queryPacket('big', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0 } as never] }));
        assert.equal(edns.flag_tc, false);
        assert.equal(edns.answers.length, 50);
        assert.equal(edns.additionals?.[0]?.type, 'OPT');
      } finally {
        await resolver.close();
      }
    });

    it('detaches, re-attaches, and is safe to detach twice', async () => {
      await withResolver([], async (resolver) => {
        await resolver.detach(ASKER);
        await resolver.detach(ASKER);
        assert.equal(resolver.isAttached(ASKER), false);
        await resolver.attach(ASKER, ns.path); // the address is free again
        assert.equal((await ask(client, queryPacket('web'))).rcode, 'NOERROR');
        await resolver.attach(ASKER, ns.path); // same namespace: nothing to do
        assert.equal((await ask(client, queryPacket('web'))).rcode, 'NOERROR');
      });
    });

    it('serves several TCP queries on one connection, local and forwarded, and answers after a half-close', async () => {
      await withResolver(['127.0.0.53'], async () => {
        const local = queryPacket('web');
        const forwarded = queryPacket('example.test');
        const replies = await tcpExchange(ns, [dnsPacket.encode(local), Buffer.from([1, 2, 3]), dnsPacket.encode(forwarded)]);
        const byId = new Map(replies.map((r) => [decodeReply(r).id, decodeReply(r)]));
        assert.equal(replies.length, 2, 'the 3-byte message gets no answer');
        assert.deepEqual(byId.get(local.id!)?.answers.map((a) => a.data), ['10.0.0.3']);
        assert.deepEqual(byId.get(forwarded.id!)?.answers.map((a) => a.data), ['198.18.1.99']);
      });
    });

    it('refuses to attach after close', async () => {
      const resolver = new Resolver({ lookup: fakeLookup, binder: makeBinder(), upstreams: [] });
      await resolver.close();
      await assert.rejects(resolver.attach(ASKER, ns.path), /closed/);
    });
  });
}
