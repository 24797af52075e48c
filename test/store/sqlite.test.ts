// The embedded SQLite store: the conformance suite on temp files, then what only it does
// (a trimmed change log, other processes on the same file, lease rows in the file).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore, WatchCompactedError, type SqliteStoreOptions } from '../../src/store/sqlite/index.js';
import { LeaseLostError, StoreUnavailableError, type Store } from '../../src/store/store.js';
import { describeStore } from './conformance.js';
import { sameMap, sleep, snapshot, startChild, waitUntil, WatchRecorder } from './helpers.js';
import type { SqliteTestConfig } from './sqlite-opener.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-store-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newPath = () => join(dir, `cluster-${++files}.db`);
const opener = new URL('./sqlite-opener.js', import.meta.url).href;

describeStore('sqlite', {
  module: opener,
  newConfig: (): SqliteTestConfig => ({ path: newPath() }),
});

/** Open stores for one test; all closed when it ends. */
function opens(t: TestContext) {
  const opened: Store[] = [];
  t.after(async () => {
    for (const store of opened) await store.close();
  });
  return async (path: string, opts?: SqliteStoreOptions) => {
    const store = await openSqliteStore(path, opts);
    opened.push(store);
    return store;
  };
}

describe('sqlite store', () => {
  it('resyncs a watch that fell behind the trimmed change log', async (t) => {
    const open = opens(t);
    const path = newPath();
    const watching = await open(path, { logRetention: 5 });
    const writer = await open(path, { logRetention: 5 });
    for (const key of ['t/keep', 't/gone', 't/busy']) await writer.create(key, 'v0');
    const recorder = await WatchRecorder.start(watching, 't/', 0);
    t.after(() => recorder.close());
    await waitUntil(() => recorder.state.size === 3, 'the first three keys');
    const before = recorder.events.length;

    // One burst with no macrotask in between (better-sqlite3 is synchronous and nothing here
    // waits on a timer), so the watching store cannot poll until the log has been trimmed
    // far past its cursor. The delete and the create come first, so they are trimmed too.
    await writer.delete('t/gone');
    await writer.create('t/new', 'n');
    let busy = (await writer.get('t/busy'))!;
    for (let i = 1; i <= 20; i++) busy = (await writer.compareAndSwap('t/busy', `v${i}`, busy.revision))!;

    const want = await snapshot(writer, 't/');
    await waitUntil(() => sameMap(recorder.state, want), 'the watch to reach the current state');
    const resynced = recorder.events.slice(before);
    assert.ok(resynced.filter((e) => e.type === 'put' && e.kv.key === 't/busy').length < 20, 'a resync, not a replay');
    assert.ok(resynced.some((e) => e.type === 'delete' && e.key === 't/gone'), 'the deleted key is reported gone');
    assert.ok(!resynced.some((e) => e.type === 'delete' && e.key === 't/keep'));
    assert.deepEqual(recorder.errors, []);

    await assert.rejects(watching.watch('t/', { fromRevision: 1, onEvents: () => {} }), WatchCompactedError);
  });

  it('shows a watcher the writes of another OS process', async (t) => {
    const open = opens(t);
    const path = newPath();
    const store = await open(path);
    const recorder = await WatchRecorder.start(store, 'p/', (await store.list('p/')).revision);
    t.after(() => recorder.close());
    const child = startChild({ module: opener, config: { path }, job: { kind: 'write', key: 'p/from-child', value: 'hi' } });
    t.after(() => child.stop());
    await child.result;
    await waitUntil(() => recorder.state.get('p/from-child') === 'hi', 'the child\'s write');
  });

  it('lets several processes create a new file at once', async (t) => {
    const path = newPath();
    const children = [0, 1, 2, 3].map((i) =>
      startChild({ module: opener, config: { path }, job: { kind: 'write', key: `n/${i}`, value: String(i) } }));
    t.after(() => children.forEach((c) => c.stop()));
    await Promise.all(children.map((c) => c.result));
    const store = await opens(t)(path);
    assert.deepEqual((await store.list('n/')).items.map((kv) => kv.value), ['0', '1', '2', '3']);
  });

  it('tells onLost when the background keep-alive finds the lease gone', async (t) => {
    const path = newPath();
    const store = await opens(t)(path);
    const lease = await store.grantLease(1);
    await store.create('g/held', 'x', { lease });
    const lost: Error[] = [];
    lease.onLost((err) => lost.push(err));
    // Another process removes the lease row behind our back.
    const raw = new Database(path);
    raw.prepare('DELETE FROM leases WHERE id = ?').run(Number(lease.id));
    raw.close();
    await waitUntil(() => lost.length > 0, 'onLost');
    assert.ok(lost[0] instanceof LeaseLostError);
  });

  it('leaves a closed store\'s leased keys until the lease expires', async (t) => {
    const open = opens(t);
    const path = newPath();
    const leaving = await open(path);
    const staying = await open(path);
    const lease = await leaving.grantLease(1);
    await leaving.create('c/held', 'x', { lease });
    await leaving.close();
    assert.ok(await staying.get('c/held'), 'still there right after close');
    await waitUntil(async () => (await staying.get('c/held')) === undefined, 'the other store to sweep it');
    await assert.rejects(leaving.get('c/held'), StoreUnavailableError);
  });

  it('refuses a write under an expired lease that nobody has swept yet', async (t) => {
    const store = await opens(t)(newPath(), { sweepMs: 60_000 });
    const lease = await store.grantLease(0.2, { keepAlive: false });
    await sleep(400);
    await assert.rejects(store.create('x/late', 'x', { lease }), /lease \d+ lost: expired/);
    assert.equal(await store.get('x/late'), undefined);
  });

  it('keeps stores with different roots apart in one file', async (t) => {
    const open = opens(t);
    const path = newPath();
    const one = await open(path, { root: 'one/' });
    const two = await open(path, { root: 'two/' });
    await one.create('k', '1');
    await two.create('k', '2');
    assert.equal((await one.get('k'))?.value, '1');
    assert.deepEqual((await two.list('')).items.map((kv) => kv.value), ['2']);
    const everything = await open(path, { root: 'o' });
    assert.deepEqual((await everything.list('')).items.map((kv) => kv.key), ['ne/k']);
  });
});
