import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { decide, rotate } from '../../src/dns/decide.js';
import type { NameLookup } from '../../src/dns/lookup.js';
import { encodeHeaderError, encodeResponse, parseQuery, ptrNameToIpv4, RCODE } from '../../src/dns/messages.js';
import { Resolver } from '../../src/dns/resolver.js';
import { isIpv6Upstream, parseUpstream, parseUpstreams, UpstreamHealth } from '../../src/dns/upstreams.js';

describe('ptrNameToIpv4', () => {
  it('turns in-addr.arpa names into addresses', () => {
    assert.equal(ptrNameToIpv4('3.0.0.10.in-addr.arpa'), '10.0.0.3');
    assert.equal(ptrNameToIpv4('3.0.0.10.IN-ADDR.ARPA.'), '10.0.0.3');
  });
  it('rejects everything else', () => {
    for (const n of ['0.0.10.in-addr.arpa', '256.0.0.10.in-addr.arpa', '01.0.0.10.in-addr.arpa', 'a.0.0.10.in-addr.arpa', 'web.appnet', '1.0.0.0.ip6.arpa', 'in-addr.arpa']) {
      assert.equal(ptrNameToIpv4(n), undefined, n);
    }
  });
});

describe('parseQuery', () => {
  it('reads a query, its question and its EDNS size', () => {
    const msg = dnsPacket.encode({
      id: 7,
      type: 'query',
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name: 'Web' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0 } as never],
    });
    const parsed = parseQuery(msg);
    assert.equal(parsed.kind, 'query');
    if (parsed.kind !== 'query') return;
    assert.equal(parsed.query.id, 7);
    assert.deepEqual(parsed.query.question, { name: 'Web', type: 'A', class: 'IN' });
    assert.equal(parsed.query.ednsUdpSize, 4096);
  });

  it('drops what has no header, and responses', () => {
    assert.deepEqual(parseQuery(Buffer.alloc(11)), { kind: 'drop' });
    const response = dnsPacket.encode({ id: 1, type: 'response', questions: [{ type: 'A', name: 'x' }] });
    assert.deepEqual(parseQuery(response), { kind: 'drop' });
  });

  it('answers FORMERR to a broken body, NOTIMP to other opcodes, FORMERR to two questions', () => {
    const broken = Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 0x61]);
    assert.deepEqual(parseQuery(broken), { kind: 'error', id: 9, flags: 0x0100, rcode: RCODE.FORMERR });
    const notify = dnsPacket.encode({ id: 2, type: 'query', flags: 4 << 11, questions: [{ type: 'SOA', name: 'x' }] });
    assert.deepEqual(parseQuery(notify), { kind: 'error', id: 2, flags: 4 << 11, rcode: RCODE.NOTIMP });
    const two = dnsPacket.encode({ id: 3, type: 'query', questions: [{ type: 'A', name: 'a' }, { type: 'A', name: 'b' }] });
    assert.deepEqual(parseQuery(two), { kind: 'error', id: 3, flags: 0, rcode: RCODE.FORMERR });
  });

  it('never throws on random bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.alloc(Math.floor(Math.random() * 80));
      for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(Math.random() * 256);
      assert.doesNotThrow(() => parseQuery(junk));
    }
  });
});

describe('encodeResponse', () => {
  const query = { id: 5, flags: dnsPacket.RECURSION_DESIRED, question: { type: 'A' as const, name: 'pool', class: 'IN' as const }, ednsUdpSize: undefined };

  it('echoes id, question and RD, sets QR, RA and AA as asked', () => {
    const d = dnsPacket.decode(encodeResponse(query, { rcode: RCODE.NXDOMAIN, authoritative: true }));
    assert.equal(d.id, 5);
    assert.equal(d.type, 'response');
    assert.equal(d.flag_rd, true);
    assert.equal(d.flag_ra, true);
    assert.equal(d.flag_aa, true);
    assert.equal((d as unknown as { rcode: string }).rcode, 'NXDOMAIN');
  });

  it('truncates over UDP past 512 bytes without EDNS, never over TCP', () => {
    const answers = Array.from({ length: 40 }, (_, i) => ({ type: 'A' as const, name: 'pool', ttl: 600, data: `10.0.0.${i + 1}` }));
    const udp = dnsPacket.decode(encodeResponse(query, { rcode: RCODE.NOERROR, answers, udp: true }));
    assert.equal(udp.flag_tc, true);
    assert.deepEqual(udp.answers, []);
    const tcp = dnsPacket.decode(encodeResponse(query, { rcode: RCODE.NOERROR, answers, udp: false }));
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers?.length, 40);
  });

  it('encodes a header-only error', () => {
    const d = dnsPacket.decode(encodeHeaderError(77, 0x0100, RCODE.FORMERR));
    assert.equal(d.id, 77);
    assert.equal((d as unknown as { rcode: string }).rcode, 'FORMERR');
    assert.deepEqual(d.questions, []);
  });
});

describe('decide', () => {
  const lookup = {
    lookup: (_asker: string, name: string) =>
      name === 'both' ? { kind: 'addresses' as const, addresses: ['10.0.0.1', 'fd00::1'] } : { kind: 'forward' as const },
    reverse: () => undefined,
  } satisfies NameLookup;

  it('answers A and AAAA from the matching family, and other types of a local name with no records', () => {
    const a = decide(lookup, 'c', { type: 'A', name: 'both', class: 'IN' });
    assert.equal(a.kind === 'local' && a.answers.map((r) => r.type).join(), 'A');
    const aaaa = decide(lookup, 'c', { type: 'AAAA', name: 'both', class: 'IN' });
    assert.equal(aaaa.kind === 'local' && aaaa.answers.map((r) => r.type).join(), 'AAAA');
    const mx = decide(lookup, 'c', { type: 'MX', name: 'both', class: 'IN' });
    assert.equal(mx.kind === 'local' && mx.rcode === RCODE.NOERROR && mx.answers.length, 0);
  });

  it('forwards other classes, unknown names and PTR for addresses it does not know', () => {
    assert.equal(decide(lookup, 'c', { type: 'A', name: 'both', class: 'CH' }).kind, 'forward');
    assert.equal(decide(lookup, 'c', { type: 'A', name: 'other', class: 'IN' }).kind, 'forward');
    assert.equal(decide(lookup, 'c', { type: 'PTR', name: '1.0.0.10.in-addr.arpa', class: 'IN' }).kind, 'forward');
  });

  it('rotates', () => {
    assert.deepEqual(rotate([1, 2, 3], 0), [1, 2, 3]);
    assert.deepEqual(rotate([1, 2, 3], 1), [2, 3, 1]);
    assert.deepEqual(rotate([1, 2, 3], 5), [3, 1, 2]);
  });
});

describe('upstreams', () => {
  it('parses "ip" and "ip:port"', () => {
    assert.deepEqual(parseUpstream('198.18.1.1'), { ip: '198.18.1.1', port: 53, label: '198.18.1.1:53' });
    assert.deepEqual(parseUpstream('127.0.0.53:5353'), { ip: '127.0.0.53', port: 5353, label: '127.0.0.53:5353' });
    for (const bad of ['', 'dns.example', '1.2.3', '1.2.3.4:0', '1.2.3.4:70000', '::1', '[::1]:53']) {
      assert.throws(() => parseUpstream(bad), /invalid DNS upstream/, bad);
    }
    assert.throws(() => parseUpstreams(Array.from({ length: 17 }, () => '198.18.1.1')), /too many/);
  });

  it('recognises IPv6 upstreams, which the resolver skips', () => {
    for (const v6 of ['2001:db8::1', '[2001:db8::1]:53', 'fe80::1%eth0', '::1']) assert.equal(isIpv6Upstream(v6), true, v6);
    for (const other of ['198.18.1.1', '198.18.1.1:53', 'dns.example', '']) assert.equal(isIpv6Upstream(other), false, other);
  });

  it('skips a failed upstream for a while, then tries it again', () => {
    let now = 0;
    const changes: string[] = [];
    const h = new UpstreamHealth({ count: 2, downForMs: 1000, probeIntervalMs: 500, now: () => now, onChange: (i, up) => changes.push(`${i}:${up}`) });
    assert.equal(h.pick(0), 0);
    h.failed(0);
    assert.equal(h.pick(0), 1);
    assert.equal(h.pick(0b10), -1, 'no probe within the probe interval of the failure');
    now = 500;
    assert.equal(h.pick(0b10), 0, 'as a last resort, a probe');
    assert.equal(h.pick(0b10), -1, 'one probe at a time');
    h.abandoned(0);
    now = 1000;
    assert.equal(h.pick(0), 0);
    h.answered(0);
    assert.deepEqual(changes, ['0:false']);
    h.failed(1);
    now = 1500;
    h.answered(1);
    assert.deepEqual(changes, ['0:false', '1:false', '1:true']);
  });
});

describe('Resolver options', () => {
  const lookup = { lookup: () => ({ kind: 'forward' as const }), reverse: () => undefined } satisfies NameLookup;
  const binder = { kind: 'addon' as const, bind: () => Promise.reject(new Error('not in this test')) };

  it('skips IPv6 upstreams with a warning and rejects invalid ones', () => {
    const warnings: object[] = [];
    const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (o: object) => warnings.push(o) };
    assert.doesNotThrow(() => new Resolver({ lookup, binder, upstreams: ['2001:db8::1', '198.18.1.1'], logger }));
    assert.deepEqual(warnings, [{ upstreams: ['2001:db8::1'] }]);
    assert.throws(() => new Resolver({ lookup, binder, upstreams: ['resolver.example'] }), /invalid DNS upstream/);
  });
});
