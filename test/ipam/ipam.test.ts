// Ipam over a Store: pools, addresses, errors with moby's texts, leases, and concurrency. The
// same suite runs on the in-memory store (with random interleaving) and on the SQLite backend.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GLOBAL_DEFAULT_POOLS, Ipam, LOCAL_DEFAULT_POOLS } from '../../src/ipam/ipam.js';
import { overlaps, mustParsePrefix4 } from '../../src/ipam/cidr.js';
import { isWeftError, type ErrorKind } from '../../src/errors.js';
import type { IpamPool } from '../../src/cluster/types.js';
import { memoryStore } from './memory-store.js';
import { makers, type TestStore } from './stores.js';

async function rejectsWith(p: Promise<unknown>, kind: ErrorKind, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isWeftError(err), `expected a WeftError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.kind, kind);
    return true;
  });
}

for (const [name, make] of Object.entries(makers)) {
  describe(`Ipam on ${name}`, () => {
    let t: TestStore;
    let ipam: Ipam;
    before(async () => {
      t = await make();
    });
    after(async () => t.cleanup());
    // Every test uses its own key prefix: one store, independent address spaces.
    let space = 0;
    const fresh = (defaultPools = GLOBAL_DEFAULT_POOLS) => {
      ipam = new Ipam(t.store, { defaultPools, keyPrefix: `${name}-t${++space}/ipam/` });
      return ipam;
    };

    describe('pools', () => {
      it('gives the default pools in order: 10.0.0.0/24, then 10.0.1.0/24', async () => {
        fresh();
        assert.deepEqual(await ipam.requestPool('n1', {}), { subnet: '10.0.0.0/24', gateway: '10.0.0.1', auxAddresses: {} });
        assert.deepEqual(await ipam.requestPool('n2', {}), { subnet: '10.0.1.0/24', gateway: '10.0.1.1', auxAddresses: {} });
      });

      it('local address space: 172.17.0.0/16, then 172.18.0.0/16', async () => {
        fresh(LOCAL_DEFAULT_POOLS);
        assert.equal((await ipam.requestPool('b1', {})).subnet, '172.17.0.0/16');
        assert.equal((await ipam.requestPool('b2', {})).gateway, '172.18.0.1');
      });

      it('keeps a user subnet with its ip-range, gateway and auxiliary addresses', async () => {
        fresh();
        const req = { subnet: '10.10.0.0/24', ipRange: '10.10.0.128/25', gateway: '10.10.0.254', auxAddresses: { host1: '10.10.0.5' } };
        assert.deepEqual(await ipam.requestPool('n1', req), req);
        // A default request now skips nothing it need not: 10.10.0.0/24 is far from 10.0.0.0/24.
        assert.equal((await ipam.requestPool('n2', {})).subnet, '10.0.0.0/24');
      });

      it('refuses an overlapping subnet with moby\'s 403', async () => {
        fresh();
        await ipam.requestPool('n1', { subnet: '10.20.0.0/16' });
        const overlap = 'invalid pool request: Pool overlaps with other one on this address space';
        await rejectsWith(ipam.requestPool('n2', { subnet: '10.20.5.0/24' }), 'forbidden', overlap);
        await rejectsWith(ipam.requestPool('n3', { subnet: '10.0.0.0/8' }), 'forbidden', overlap);
        await rejectsWith(ipam.requestPool('n1', { subnet: '10.20.0.0/16', ipRange: '10.20.1.0/24' }), 'forbidden', overlap);
      });

      it('the default pool skips a user subnet that covers it', async () => {
        fresh();
        await ipam.requestPool('n1', { subnet: '10.0.0.0/23' });
        assert.equal((await ipam.requestPool('n2', {})).subnet, '10.0.2.0/24');
      });

      it('rejects bad requests with moby\'s 400 texts and reserves nothing', async () => {
        fresh();
        await rejectsWith(ipam.requestPool('n1', { subnet: '10.0.0/24' }), 'invalid',
          'invalid network config:\n* invalid subnet 10.0.0/24: invalid CIDR block notation');
        await rejectsWith(ipam.requestPool('n1', { subnet: '10.0.0.0/24', gateway: '10.1.0.1' }), 'invalid',
          'invalid network config:\n* invalid gateway 10.1.0.1: parent subnet 10.0.0.0/24 doesn\'t contain this address');
        await rejectsWith(ipam.requestPool('n1', { subnet: '10.0.0.0/24', ipRange: '10.0.1.0/25' }), 'invalid',
          'invalid network config:\n* invalid ip-range 10.0.1.0/25: parent subnet 10.0.0.0/24 doesn\'t contain ip-range');
        await rejectsWith(ipam.requestPool('n1', { subnet: '10.0.0.0/24', auxAddresses: { a: '10.0.1.1' } }), 'invalid',
          'invalid network config:\n* invalid auxiliary address a: parent subnet 10.0.0.0/24 doesn\'t contain this address');
        await rejectsWith(ipam.requestPool('n1', { subnet: '10.0.0.0/24', gateway: '10.0.0.0' }), 'invalid',
          'failed to allocate gateway (10.0.0.0): Address already in use');
        await rejectsWith(ipam.requestPool('n1', { subnet: '10.0.0.0/24', auxAddresses: { a: '10.0.0.1' } }), 'invalid',
          'failed to allocate secondary ip address (a:10.0.0.1): Address already in use');
        assert.equal((await ipam.requestPool('n1', {})).subnet, '10.0.0.0/24');
      });

      it('says so when the default pools are used up (moby 28: ErrNoMoreSubnets, 400)', async () => {
        fresh([{ base: '10.0.0.0/23', size: 24 }]);
        await ipam.requestPool('n1', {});
        await ipam.requestPool('n2', {});
        await rejectsWith(ipam.requestPool('n3', {}), 'invalid', 'all predefined address pools have been fully subnetted');
      });

      it('releases a network\'s pools, safely twice, and the subnet is reused', async () => {
        fresh();
        await ipam.requestPool('n1', {});
        await ipam.requestPool('n1', { subnet: '10.99.0.0/24' });
        await ipam.requestPool('n2', {});
        await ipam.releasePool('n1');
        await ipam.releasePool('n1');
        await ipam.releasePool('never-existed');
        assert.equal((await ipam.requestPool('n3', {})).subnet, '10.0.0.0/24');
        assert.equal((await ipam.requestPool('n4', { subnet: '10.99.0.0/24' })).subnet, '10.99.0.0/24');
      });

      it('concurrent default requests from two clients get distinct subnets', async () => {
        fresh();
        const other = new Ipam(await t.peer(), { defaultPools: GLOBAL_DEFAULT_POOLS, keyPrefix: `${name}-t${space}/ipam/` });
        const got = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? ipam : other).requestPool(`n${i}`, {})));
        const subnets = got.map((pl) => pl.subnet).sort((a, b) => mustParsePrefix4(a).addr - mustParsePrefix4(b).addr);
        assert.deepEqual(subnets, Array.from({ length: 12 }, (_, i) => `10.0.${i}.0/24`));
      });
    });

    describe('addresses', () => {
      const pool24: IpamPool = { subnet: '10.0.0.0/24', gateway: '10.0.0.1', auxAddresses: {} };

      it('the first container gets 10.0.0.2, the next 10.0.0.3; a released one is reused', async () => {
        fresh();
        assert.equal(await ipam.requestAddress('n1', pool24, { owner: 'e1' }), '10.0.0.2');
        assert.equal(await ipam.requestAddress('n1', pool24, { owner: 'e2' }), '10.0.0.3');
        await ipam.releaseAddress('n1', '10.0.0.2');
        await ipam.releaseAddress('n1', '10.0.0.2');
        assert.equal(await ipam.requestAddress('n1', pool24, { owner: 'e3' }), '10.0.0.2');
        assert.equal(await ipam.requestAddress('n1', pool24, { owner: 'e4' }), '10.0.0.4');
        // Another network's addresses are its own.
        assert.equal(await ipam.requestAddress('n2', pool24, { owner: 'e5' }), '10.0.0.2');
      });

      it('never hands out the gateway or auxiliary addresses, and keeps to the ip-range', async () => {
        fresh();
        const pool = await ipam.requestPool('n1', { subnet: '10.5.0.0/24', gateway: '10.5.0.2', auxAddresses: { a: '10.5.0.1', b: '10.5.0.3' } });
        assert.equal(await ipam.requestAddress('n1', pool, { owner: 'e1' }), '10.5.0.4');
        const ranged = await ipam.requestPool('n2', { subnet: '10.6.0.0/24', ipRange: '10.6.0.128/25' });
        assert.equal(ranged.gateway, '10.6.0.1');
        assert.equal(await ipam.requestAddress('n2', ranged, { owner: 'e2' }), '10.6.0.128');
      });

      it('a preferred address: taken once, then "Address already in use"; outside the subnet is a 400', async () => {
        fresh();
        const pool = { ...pool24, ipRange: '10.0.0.0/28', auxAddresses: { a: '10.0.0.9' } };
        assert.equal(await ipam.requestAddress('n1', pool, { owner: 'e1', preferred: '10.0.0.77' }), '10.0.0.77');
        await rejectsWith(ipam.requestAddress('n1', pool, { owner: 'e2', preferred: '10.0.0.77' }), 'forbidden', 'Address already in use');
        for (const reserved of ['10.0.0.1', '10.0.0.0', '10.0.0.255', '10.0.0.9']) {
          await rejectsWith(ipam.requestAddress('n1', pool, { owner: 'e2', preferred: reserved }), 'forbidden', 'Address already in use');
        }
        await rejectsWith(ipam.requestAddress('n1', pool, { owner: 'e2', preferred: '10.9.9.9' }), 'invalid',
          'invalid address 10.9.9.9: It does not belong to any of this network\'s subnets');
        await rejectsWith(ipam.requestAddress('n1', pool, { owner: 'e2', preferred: 'bogus' }), 'invalid', 'invalid preferred address: bogus');
        // The automatic allocator then skips the preferred address it does not know about in advance.
        assert.equal(await ipam.requestAddress('n1', { ...pool24, ipRange: '10.0.0.76/30' }, { owner: 'e3' }), '10.0.0.76');
        assert.equal(await ipam.requestAddress('n1', { ...pool24, ipRange: '10.0.0.76/30' }, { owner: 'e4' }), '10.0.0.78');
      });

      it('a full /29 gives moby\'s "no available IPv4 addresses" error; a release makes room', async () => {
        fresh();
        const pool = await ipam.requestPool('n-small', { subnet: '10.7.0.0/29' });
        const got = [];
        for (let i = 0; i < 5; i++) got.push(await ipam.requestAddress('n-small', pool, { owner: `e${i}`, networkName: 'small' }));
        assert.deepEqual(got, ['10.7.0.2', '10.7.0.3', '10.7.0.4', '10.7.0.5', '10.7.0.6']);
        const full = 'no available IPv4 addresses on this network\'s address pools: small (n-small)';
        await rejectsWith(ipam.requestAddress('n-small', pool, { owner: 'x', networkName: 'small' }), 'unavailable', full);
        await ipam.releaseAddress('n-small', '10.7.0.4');
        assert.equal(await ipam.requestAddress('n-small', pool, { owner: 'y' }), '10.7.0.4');
      });

      it('revoking the owner\'s lease frees its addresses, and only those', async () => {
        fresh();
        const lease = await t.store.grantLease(60, { keepAlive: false });
        for (let i = 0; i < 3; i++) await ipam.requestAddress('n1', pool24, { owner: `e${i}`, lease });
        assert.equal(await ipam.requestAddress('n1', pool24, { owner: 'kept' }), '10.0.0.5');
        await lease.revoke();
        assert.equal(await ipam.requestAddress('n1', pool24, { owner: 'new' }), '10.0.0.2');
        assert.equal(await ipam.requestAddress('n1', pool24, { owner: 'new2' }), '10.0.0.3');
      });

      it('releasing the pool also drops address keys left behind', async () => {
        fresh();
        const pool = await ipam.requestPool('n1', {});
        await ipam.requestAddress('n1', pool, { owner: 'e1' });
        await ipam.releasePool('n1');
        const again = await ipam.requestPool('n1', {});
        assert.equal(await ipam.requestAddress('n1', again, { owner: 'e2' }), '10.0.0.2');
      });

      it('picks without reading: the lowest address not in use, or the preferred one validated', async () => {
        fresh();
        const pool = { ...pool24, auxAddresses: { a: '10.0.0.3' } };
        assert.equal(ipam.pickAddress('n1', pool, { inUse: new Set() }), '10.0.0.2');
        assert.equal(ipam.pickAddress('n1', pool, { inUse: new Set(['10.0.0.2']) }), '10.0.0.4', 'skips in-use and auxiliary addresses');
        assert.equal(ipam.pickAddress('n1', pool, { inUse: new Set(['10.0.0.9']), preferred: '10.0.0.9' }), '10.0.0.9', 'the store decides on a preferred one');
        assert.throws(() => ipam.pickAddress('n1', pool, { inUse: new Set(), preferred: '10.0.0.1' }), /Address already in use/);
        assert.throws(() => ipam.pickAddress('n1', pool, { inUse: new Set(), preferred: '10.9.9.9' }), /does not belong/);
        const tiny = { subnet: '10.7.0.0/30', gateway: '10.7.0.1', auxAddresses: {} };
        assert.throws(() => ipam.pickAddress('n-t', tiny, { inUse: new Set(['10.7.0.2']), networkName: 'tiny' }), /no available IPv4 addresses on this network's address pools: tiny \(n-t\)/);
      });

      it('a claim created with other keys reserves the address for requestAddress too', async () => {
        fresh();
        const claim = ipam.addressClaim('n1', '10.0.0.2', 'e1');
        assert.ok(await t.store.createAll([claim, { key: `${name}-claim-${space}`, value: 'x' }]));
        assert.deepEqual([...(await ipam.addressesInUse('n1'))], ['10.0.0.2']);
        assert.equal(await ipam.requestAddress('n1', pool24, { owner: 'e2' }), '10.0.0.3');
      });

      it('concurrent requests from two clients never share an address', async () => {
        fresh();
        const other = new Ipam(await t.peer(), { defaultPools: GLOBAL_DEFAULT_POOLS, keyPrefix: `${name}-t${space}/ipam/` });
        const pool = { subnet: '10.8.0.0/26', gateway: '10.8.0.1', auxAddresses: {} };
        const results = await Promise.allSettled(Array.from({ length: 70 }, (_, i) =>
          (i % 2 ? ipam : other).requestAddress('n1', pool, { owner: `e${i}` })));
        const ips = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        assert.equal(ips.length, 61, 'a /26 has 61 addresses besides network, broadcast and gateway');
        assert.equal(new Set(ips).size, ips.length);
        for (const r of results) if (r.status === 'rejected') assert.ok(isWeftError(r.reason, 'unavailable'), String(r.reason));
      });
    });
  });
}

/** A small seeded generator, so a failing interleaving can be replayed from fast-check's seed. */
function lcg(seed: number): () => number {
  let s = seed | 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff) / 0x80000000);
}

// Property tests on the interleaving in-memory store: many concurrent callers, random requests.
describe('Ipam under random concurrency (property)', () => {
  const small = [{ base: '10.0.0.0/21', size: 24 }];
  const subnetReq = fc.oneof(
    fc.constant({}),
    fc.record({ subnet: fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 21, max: 26 })).map(([third, bits]) => {
      const base = mustParsePrefix4(`10.0.${third}.0/${bits}`);
      const size = 2 ** (32 - bits);
      const addr = base.addr - (base.addr % size);
      return `10.0.${(addr >>> 8) & 0xff}.${addr & 0xff}/${bits}`;
    }) }),
  );

  it('concurrent pool requests: the winners never overlap, the losers get overlap or exhaustion', async () => {
    await fc.assert(fc.asyncProperty(fc.array(subnetReq, { minLength: 1, maxLength: 12 }), fc.integer(), async (reqs, seed) => {
      const random = lcg(seed);
      const ipam = new Ipam(memoryStore({ jitter: 4, random }), { defaultPools: small });
      const results = await Promise.allSettled(reqs.map((r, i) => ipam.requestPool(`n${i}`, r)));
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [mustParsePrefix4(r.value.subnet)] : []));
      for (let i = 0; i < won.length; i++) {
        for (let j = i + 1; j < won.length; j++) assert.ok(!overlaps(won[i]!, won[j]!), 'two pools overlap');
      }
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.ok(isWeftError(r.reason, 'forbidden') || isWeftError(r.reason, 'invalid'), String(r.reason));
        }
      }
      // Every default request that lost must have lost because the defaults were full.
      reqs.forEach((r, i) => {
        const res = results[i]!;
        if (!('subnet' in r) && res.status === 'rejected') assert.equal((res.reason as Error).message, 'all predefined address pools have been fully subnetted');
      });
    }), { numRuns: 60 });
  });

  it('concurrent address requests: no duplicates, and exactly min(callers, capacity) succeed', async () => {
    const pool = { subnet: '10.0.0.0/27', gateway: '10.0.0.1', auxAddresses: { a: '10.0.0.7' } };
    const capacity = 32 - 4;
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 10 }), fc.integer(), async (callers, held, seed) => {
      const random = lcg(seed);
      const ipam = new Ipam(memoryStore({ jitter: 4, random }), { defaultPools: small });
      const before = [];
      for (let i = 0; i < held; i++) before.push(await ipam.requestAddress('n', pool, { owner: `h${i}` }));
      const results = await Promise.allSettled(Array.from({ length: callers }, (_, i) => ipam.requestAddress('n', pool, { owner: `c${i}` })));
      const got = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const all = [...before, ...got];
      assert.equal(new Set(all).size, all.length, 'an address was handed out twice');
      assert.equal(got.length, Math.min(callers, capacity - held));
      assert.ok(!all.includes('10.0.0.7') && !all.includes('10.0.0.1'));
    }), { numRuns: 60 });
  });
});
