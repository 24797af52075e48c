// The pure address math: parsing as strict as Go's netip, containment and overlap, the default
// subnet sequence, and which addresses go to containers in what order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  contains, firstAddr, formatAddr4, formatPrefix4, lastAddr, masked, overlaps, parseAddr4, parsePrefix4, type Prefix4,
} from '../../src/ipam/cidr.js';
import { nextDefaultSubnet, parseDefaultPools, reservedAddresses, GLOBAL_DEFAULT_POOLS, LOCAL_DEFAULT_POOLS } from '../../src/ipam/pools.js';
import { assignableAddresses } from '../../src/ipam/addresses.js';

const p = (text: string): Prefix4 => {
  const parsed = parsePrefix4(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
};
const take = <T>(gen: Iterable<T>, n: number): T[] => {
  const out: T[] = [];
  for (const x of gen) {
    if (out.length === n) break;
    out.push(x);
  }
  return out;
};

describe('parsing', () => {
  it('accepts four-part decimal prefixes only, like netip.ParsePrefix', () => {
    for (const ok of ['10.0.0.0/24', '0.0.0.0/0', '255.255.255.255/32', '10.0.0.1/24']) assert.ok(parsePrefix4(ok), ok);
    for (const bad of ['10.0.0/24', '010.0.0.0/24', '10.0.0.0/33', '10.0.0.0/024', '10.0.0.0', '10.0.0.0/', '/24',
      '10.0.0.0/24/1', '256.0.0.0/8', ' 10.0.0.0/24', '10.0.0.0/-1', '0x0a.0.0.0/8', 'fd00::/64', '']) {
      assert.equal(parsePrefix4(bad), undefined, bad);
    }
    assert.equal(parseAddr4('10.1'), undefined);
    assert.equal(parseAddr4('10.0.0.1'), 0x0a000001);
  });

  it('formats what it parses, for every address', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (addr) => parseAddr4(formatAddr4(addr)) === addr));
    fc.assert(fc.property(fc.ipV4(), (text) => formatAddr4(parseAddr4(text) ?? -1) === text));
  });
});

describe('prefix math', () => {
  const prefix = fc.record({ addr: fc.integer({ min: 0, max: 2 ** 32 - 1 }), bits: fc.integer({ min: 0, max: 32 }) });

  it('first and last address bound the block and match the mask', () => {
    fc.assert(fc.property(prefix, (q) => {
      const first = firstAddr(q);
      const last = lastAddr(q);
      return first <= q.addr && q.addr <= last && last - first + 1 === 2 ** (32 - q.bits) && (first & ~maskOf(q.bits)) === 0;
    }));
    assert.equal(formatPrefix4(masked(p('10.0.0.77/24'))), '10.0.0.0/24');
    assert.equal(formatAddr4(lastAddr(p('10.0.0.0/24'))), '10.0.0.255');
  });

  it('overlap is symmetric and means a shared address', () => {
    fc.assert(fc.property(prefix, prefix, (a, b) => {
      const shared = contains(a, firstAddr(b)) || contains(b, firstAddr(a));
      return overlaps(a, b) === overlaps(b, a) && overlaps(a, b) === shared;
    }));
    assert.ok(overlaps(p('10.0.0.0/8'), p('10.200.0.0/16')));
    assert.ok(!overlaps(p('10.0.0.0/24'), p('10.0.1.0/24')));
  });
});

function maskOf(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

describe('default subnets', () => {
  const global = parseDefaultPools(GLOBAL_DEFAULT_POOLS);
  const local = parseDefaultPools(LOCAL_DEFAULT_POOLS);
  const next = (taken: string[], defaults = global) => {
    const got = nextDefaultSubnet(taken.map(p), defaults);
    return got && formatPrefix4(got);
  };

  it('hands out 10.0.0.0/24, then 10.0.1.0/24, then the lowest gap', () => {
    assert.equal(next([]), '10.0.0.0/24');
    assert.equal(next(['10.0.0.0/24']), '10.0.1.0/24');
    assert.equal(next(['10.0.1.0/24']), '10.0.0.0/24');
    assert.equal(next(['10.0.0.0/24', '10.0.2.0/24']), '10.0.1.0/24');
  });

  it('skips user subnets of any size, and anything outside the defaults does not matter', () => {
    assert.equal(next(['10.0.0.0/16']), '10.1.0.0/24');
    assert.equal(next(['10.0.0.128/25']), '10.0.1.0/24');
    assert.equal(next(['192.168.1.0/24', '172.17.0.0/16']), '10.0.0.0/24');
    assert.equal(next(['10.0.0.0/8']), undefined);
  });

  it('local defaults start at 172.17.0.0/16 and move through Docker\'s list', () => {
    assert.equal(next([], local), '172.17.0.0/16');
    assert.equal(next(['172.17.0.0/16'], local), '172.18.0.0/16');
    assert.equal(next(['172.17.0.0/16', '172.18.0.0/16', '172.19.0.0/16'], local), '172.20.0.0/16');
    const all172 = ['172.16.0.0/12'];
    assert.equal(next(all172, local), '192.168.0.0/20');
  });

  it('never returns a block that overlaps a taken one, and returns the lowest free one', () => {
    const small = parseDefaultPools([{ base: '10.0.0.0/20', size: 24 }]);
    const taken = fc.array(fc.record({ addr: fc.integer({ min: 0x0a000000, max: 0x0a001fff }), bits: fc.integer({ min: 18, max: 28 }) }), { maxLength: 12 });
    fc.assert(fc.property(taken, (t) => {
      const got = nextDefaultSubnet(t, small);
      const free = Array.from({ length: 16 }, (_, i) => ({ addr: 0x0a000000 + i * 256, bits: 24 })).filter((b) => !t.some((x) => overlaps(x, b)));
      return got === undefined ? free.length === 0 : free.length > 0 && got.addr === free[0]!.addr && got.bits === 24;
    }));
  });

  it('rejects a bad default pool list at construction', () => {
    assert.throws(() => parseDefaultPools([{ base: '10.0.0/8', size: 24 }]));
    assert.throws(() => parseDefaultPools([{ base: '10.0.0.0/16', size: 8 }]));
    assert.throws(() => parseDefaultPools([{ base: '10.0.0.0/16', size: 33 }]));
  });
});

describe('addresses of a pool', () => {
  const pool = (extra: object = {}) => ({ subnet: '10.0.0.0/24', gateway: '10.0.0.1', auxAddresses: {}, ...extra });
  const first = (pl: Parameters<typeof assignableAddresses>[0], n: number) => take(assignableAddresses(pl), n).map(formatAddr4);

  it('the first container on a fresh /24 gets .2', () => {
    assert.deepEqual(first(pool(), 3), ['10.0.0.2', '10.0.0.3', '10.0.0.4']);
  });

  it('skips network, broadcast, gateway and auxiliary addresses', () => {
    const all = [...assignableAddresses(pool({ subnet: '10.0.0.0/29', auxAddresses: { a: '10.0.0.3' } }))].map(formatAddr4);
    assert.deepEqual(all, ['10.0.0.2', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    assert.deepEqual(reservedAddresses(p('10.0.0.0/31')), []);
  });

  it('hands out the ip-range only, lowest first', () => {
    assert.deepEqual(first(pool({ ipRange: '10.0.0.128/25' }), 2), ['10.0.0.128', '10.0.0.129']);
    const tail = [...assignableAddresses(pool({ ipRange: '10.0.0.252/30' }))].map(formatAddr4);
    assert.deepEqual(tail, ['10.0.0.252', '10.0.0.253', '10.0.0.254']);
  });
});
