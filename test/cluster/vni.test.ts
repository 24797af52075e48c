// VNI allocation through atomic creates: from 256 up, unique under concurrency, reusable after
// release, idempotent per network, and a clear error when the range is used up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allocateVni, releaseVni, VNI_MAX, VNI_MIN } from '../../src/cluster/vni.js';
import { isWeftError } from '../../src/errors.js';
import { memoryStore } from '../ipam/memory-store.js';
import { makers, type TestStore } from '../ipam/stores.js';

for (const [name, make] of Object.entries(makers)) {
  describe(`VNIs on ${name}`, () => {
    let t: TestStore;
    before(async () => {
      t = await make();
    });
    after(async () => t.cleanup());

    it('allocates 256, 257, … and reuses a released one first', async () => {
      assert.equal(await allocateVni(t.store, 'a'), 256);
      assert.equal(await allocateVni(t.store, 'b'), 257);
      assert.equal(await allocateVni(t.store, 'c'), 258);
      await releaseVni(t.store, 257);
      await releaseVni(t.store, 257);
      assert.equal(await allocateVni(t.store, 'd'), 257);
      assert.equal(await allocateVni(t.store, 'e'), 259);
    });

    it('gives a network that already holds a VNI the same one again', async () => {
      const first = await allocateVni(t.store, 'same');
      assert.equal(await allocateVni(t.store, 'same'), first);
    });

    it('concurrent allocations from two clients are all distinct', async () => {
      const peer = await t.peer();
      const got = await Promise.all(Array.from({ length: 20 }, (_, i) => allocateVni(i % 2 ? t.store : peer, `par${i}`)));
      assert.equal(new Set(got).size, 20);
      for (const v of got) assert.ok(v >= VNI_MIN && v <= VNI_MAX);
    });
  });
}

describe('VNIs (property, interleaving store)', () => {
  it('no two networks ever share a VNI, and the lowest free ones are used', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 30 }), fc.array(fc.integer({ min: 256, max: 270 }), { maxLength: 8 }), async (n, released) => {
      const store = memoryStore({ jitter: 4 });
      for (let i = 0; i < 15; i++) await allocateVni(store, `pre${i}`); // 256..270
      for (const v of new Set(released)) await releaseVni(store, v);
      const got = await Promise.all(Array.from({ length: n }, (_, i) => allocateVni(store, `n${i}`)));
      assert.equal(new Set(got).size, n);
      const free = [...new Set(released)].sort((a, b) => a - b);
      const expected = [...free, ...Array.from({ length: 40 }, (_, i) => 271 + i)].slice(0, n);
      assert.deepEqual([...got].sort((a, b) => a - b), expected);
    }), { numRuns: 50 });
  });

  it('says so when the range is used up', async () => {
    const store = memoryStore();
    const range = { min: 300, max: 302 };
    for (const id of ['a', 'b', 'c']) await allocateVni(store, id, range);
    await assert.rejects(allocateVni(store, 'd', range), (err: unknown) => {
      assert.ok(isWeftError(err, 'unavailable'));
      assert.equal(err.message, 'could not obtain vxlan id for network d: all 3 VNIs are in use');
      return true;
    });
  });
});
