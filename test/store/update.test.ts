// The compare-and-swap helper, on the real embedded store and on a store that always loses.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { isWeftError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { KeyValue, Store } from '../../src/store/store.js';
import { createJson, getJson, updateJson, UpdateConflictError } from '../../src/store/update.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-update-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function freshStore(t: TestContext): Promise<Store> {
  const store = await openSqliteStore(join(dir, `update-${++files}.db`));
  t.after(() => store.close());
  return store;
}

describe('updateJson', () => {
  it('creates the key when absent, then changes a fresh copy each time', async (t) => {
    const store = await freshStore(t);
    const first = await updateJson<{ names: string[] }>(store, 'doc', (cur) => {
      assert.equal(cur, undefined);
      return { names: ['a'] };
    });
    const second = await updateJson<{ names: string[] }>(store, 'doc', (cur) => {
      cur!.names.push('b'); // mutating what we were given is fine: it is our copy
      return cur!;
    });
    assert.deepEqual(second.value, { names: ['a', 'b'] });
    assert.ok(second.revision > first.revision);
    assert.deepEqual(await getJson(store, 'doc'), second);
  });

  it('writes nothing when the change leaves the value as it is', async (t) => {
    const store = await freshStore(t);
    const first = await updateJson(store, 'n', () => 7);
    const again = await updateJson<number>(store, 'n', (n) => n!);
    assert.equal(again.revision, first.revision);
  });

  it('aborts, writing nothing, when the change throws', async (t) => {
    const store = await freshStore(t);
    await createJson(store, 'name/web', { id: 'n1' });
    await assert.rejects(
      updateJson(store, 'name/web', () => {
        throw new Error('name web is taken');
      }),
      /name web is taken/,
    );
    assert.deepEqual((await getJson(store, 'name/web'))?.value, { id: 'n1' });
    assert.equal(await createJson(store, 'name/web', { id: 'n2' }), undefined, 'createJson does not overwrite');
  });

  it('holds the key under the given lease', async (t) => {
    const store = await freshStore(t);
    const lease = await store.grantLease(2);
    await updateJson(store, 'held', () => 1, { lease });
    assert.equal((await store.get('held'))?.lease, lease.id);
    await lease.revoke();
  });

  it('checks what it reads with `parse`', async (t) => {
    const store = await freshStore(t);
    await store.create('odd', '"not a number"');
    const parse = (raw: unknown) => {
      if (typeof raw !== 'number') throw new TypeError(`expected a number, got ${typeof raw}`);
      return raw;
    };
    await assert.rejects(updateJson(store, 'odd', (n) => n! + 1, { parse }), /expected a number, got string/);
    await store.create('broken', '{');
    await assert.rejects(getJson(store, 'broken'), /broken does not hold JSON/);
  });

  it('gives up with a 503-kind error after the set number of lost races', async () => {
    let swaps = 0;
    const current: KeyValue = { key: 'k', value: '1', revision: 1 };
    const unused = async (): Promise<never> => {
      throw new Error('not used by updateJson');
    };
    const losing = {
      description: 'always-losing fake',
      get: async () => current,
      compareAndSwap: async () => {
        swaps++;
        return undefined;
      },
      list: unused, create: unused, createAll: unused, delete: unused, watch: unused, grantLease: unused, close: async () => {},
    } satisfies Store;
    await assert.rejects(updateJson<number>(losing, 'k', (n) => n! + 1, { retries: 3 }), (err: unknown) => {
      assert.ok(err instanceof UpdateConflictError);
      assert.ok(isWeftError(err, 'unavailable'));
      assert.match(err.message, /gave up updating k after 4 attempts/);
      return true;
    });
    assert.equal(swaps, 4);
  });
});
