// The one Store conformance suite (STYLE §3): every backend's test file calls describeStore.
// It uses only the Store contract, so a backend that resyncs instead of replaying (ZooKeeper)
// can pass: resumption is judged by the state the watcher ends in, not the exact events.
//
// A backend provides an opener module, so child OS processes can open the same store:
//   export async function openStore(config: C): Promise<Store>
// and a factory handing out a JSON-serialisable config for a fresh, empty store per test.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { LeaseLostError, StoreUnavailableError, type Store, type WatchEvent } from '../../src/store/store.js';
import { updateJson } from '../../src/store/update.js';
import { sameMap, sleep, snapshot, startChild, waitUntil, WatchRecorder, type RaceResult } from './helpers.js';

export interface StoreFactory {
  /** URL (or absolute path) of the opener module: exports `openStore(config): Promise<Store>`. */
  readonly module: string;
  /** Config of a fresh, empty store (a new file, a unique prefix...): JSON-serialisable. */
  newConfig(): unknown;
  /**
   * Restart the store's server in place (same data), as an operator or a crash would: resolves
   * once it answers again. Omitted for an embedded store, whose "restart" changes nothing.
   */
  restart?(): Promise<void>;
}

type Opener = { openStore(config: unknown): Promise<Store> };

/** Retry while the store says it is unavailable (it is restarting); anything else fails. */
async function untilAvailable<T>(op: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/** A fresh store for one test, plus more clients of it; all closed when the test ends. */
interface Fixture {
  readonly store: Store;
  readonly config: unknown;
  /** Another client of the same store, as a second weftd in this process would be. */
  another(): Promise<Store>;
  /** Run at the end of the test, before the stores close (last deferred, first run). */
  defer(cleanup: () => unknown): void;
}

export function describeStore(name: string, factory: StoreFactory): void {
  let opener: Promise<Opener> | undefined;

  async function fixture(t: TestContext): Promise<Fixture> {
    opener ??= import(factory.module) as Promise<Opener>;
    const { openStore } = await opener;
    const config = await factory.newConfig();
    const opened: Store[] = [];
    const deferred: (() => unknown)[] = [];
    const open = async () => {
      const store = await openStore(config);
      opened.push(store);
      return store;
    };
    t.after(async () => {
      for (const cleanup of deferred.reverse()) await cleanup();
      for (const store of opened) await store.close();
    });
    return { store: await open(), config, another: open, defer: (cleanup) => deferred.push(cleanup) };
  }

  describe(`Store conformance: ${name}`, () => {
    describe('keys', () => {
      it('creates a key only if it is absent', async (t) => {
        const { store } = await fixture(t);
        assert.equal(await store.get('k/a'), undefined);
        const created = await store.create('k/a', 'one');
        assert.ok(created);
        assert.equal(created.key, 'k/a');
        assert.equal(created.value, 'one');
        assert.ok(created.revision > 0);
        assert.equal(await store.create('k/a', 'two'), undefined);
        assert.deepEqual(await store.get('k/a'), created);
      });

      it('swaps a value only at its current revision', async (t) => {
        const { store } = await fixture(t);
        assert.equal(await store.compareAndSwap('k/absent', 'x', 1), undefined);
        const first = await store.create('k/a', 'one');
        assert.ok(first);
        assert.equal(await store.compareAndSwap('k/a', 'x', first.revision + 1000), undefined);
        const second = await store.compareAndSwap('k/a', 'two', first.revision);
        assert.ok(second);
        assert.equal(second.value, 'two');
        assert.ok(second.revision > first.revision);
        assert.equal(await store.compareAndSwap('k/a', 'stale', first.revision), undefined, 'a stale revision loses');
        assert.equal((await store.get('k/a'))?.value, 'two');
      });

      it('deletes a key, at a given revision only if it still holds', async (t) => {
        const { store } = await fixture(t);
        const a = await store.create('k/a', 'one');
        assert.ok(a);
        const a2 = await store.compareAndSwap('k/a', 'two', a.revision);
        assert.ok(a2);
        assert.equal(await store.delete('k/a', a.revision), false, 'an old revision does not delete');
        assert.ok(await store.get('k/a'));
        assert.equal(await store.delete('k/a', a2.revision), true);
        assert.equal(await store.get('k/a'), undefined);
        assert.equal(await store.delete('k/a'), false, 'deleting twice');
        await store.create('k/b', 'x');
        assert.equal(await store.delete('k/b'), true, 'deleting without a revision');
        assert.equal(await store.get('k/b'), undefined);
      });

      it('gives every change a higher revision, across clients', async (t) => {
        const { store, another } = await fixture(t);
        const other = await another();
        const revisions: number[] = [];
        const a = await store.create('k/a', '1');
        revisions.push(a!.revision);
        revisions.push((await other.create('k/b', '1'))!.revision);
        revisions.push((await store.compareAndSwap('k/b', '2', revisions[1]!))!.revision);
        revisions.push((await other.compareAndSwap('k/a', '2', a!.revision))!.revision);
        assert.deepEqual([...revisions].sort((x, y) => x - y), revisions);
        assert.equal(new Set(revisions).size, revisions.length);
        assert.equal((await store.get('k/a'))?.revision, revisions[3]);
      });

      it('lists the keys under a prefix, sorted, with the revision read at', async (t) => {
        const { store } = await fixture(t);
        for (const key of ['l/b', 'l/a', 'l/c/d', 'lx', 'm/a']) await store.create(key, `v-${key}`);
        const listing = await store.list('l/');
        assert.deepEqual(listing.items.map((kv) => kv.key), ['l/a', 'l/b', 'l/c/d']);
        assert.deepEqual(listing.items.map((kv) => kv.value), ['v-l/a', 'v-l/b', 'v-l/c/d']);
        for (const kv of listing.items) assert.deepEqual(await store.get(kv.key), kv);
        assert.ok(listing.revision >= Math.max(...listing.items.map((kv) => kv.revision)));
        const empty = await store.list('none/');
        assert.deepEqual(empty.items, []);
        assert.ok(empty.revision >= listing.revision);
      });
    });

    describe('createAll', () => {
      /** Plain errors only: a store's answer (unavailable, lease lost) would be the wrong kind. */
      const isCallerMistake = (err: unknown) =>
        err instanceof Error && !(err instanceof StoreUnavailableError) && !(err instanceof LeaseLostError);

      it('creates every key with its value, in the order given, at revisions that never go down', async (t) => {
        const { store, another } = await fixture(t);
        const other = await another();
        const before = await store.create('ca/before', 'x');
        assert.ok(before);
        const entries = [
          { key: 'ca/n1/name', value: 'one' },
          { key: 'ca/n1', value: 'a key and a "directory" of one name' },
          { key: 'ca/deep/er/key', value: 'three' },
          { key: 'ca/empty', value: '' },
        ];
        const created = await store.createAll(entries);
        assert.ok(created);
        assert.deepEqual(created.map((kv) => ({ key: kv.key, value: kv.value })), entries);
        assert.ok(created.every((kv) => kv.lease === undefined));
        assert.ok(created[0]!.revision > before.revision);
        for (let i = 1; i < created.length; i++) {
          assert.ok(created[i]!.revision >= created[i - 1]!.revision, `revision ${created[i]!.revision} after ${created[i - 1]!.revision}`);
        }
        for (const kv of created) {
          assert.deepEqual(await store.get(kv.key), kv);
          assert.deepEqual(await other.get(kv.key), kv, 'another client sees it too');
        }
        const after = await other.create('ca/after', 'x');
        assert.ok(after && after.revision > created.at(-1)!.revision, 'a later change has a higher revision');
        assert.equal(await store.create('ca/n1', 'again'), undefined, 'created keys exist for create too');
      });

      it('creates none of the keys if any one exists, wherever it stands in the list', async (t) => {
        const { store, another } = await fixture(t);
        const other = await another();
        const existing = await other.create('cx/b', 'old');
        assert.ok(existing);
        const entry = (key: string) => ({ key, value: `new-${key}` });
        for (const keys of [['cx/a', 'cx/b', 'cx/c'], ['cx/b', 'cx/a', 'cx/c'], ['cx/a', 'cx/c', 'cx/b'], ['cx/b']]) {
          assert.equal(await store.createAll(keys.map(entry)), undefined, `with the existing key in ${keys.join(',')}`);
          assert.deepEqual((await store.list('cx/')).items, [existing], 'nothing else written, the existing key untouched');
        }
        assert.ok(await other.delete('cx/b', existing.revision));
        const created = await store.createAll(['cx/a', 'cx/b', 'cx/c'].map(entry));
        assert.deepEqual(created?.map((kv) => kv.value), ['new-cx/a', 'new-cx/b', 'new-cx/c'], 'once it is gone, the same call succeeds');
      });

      it('returns [] for an empty list, and refuses a key given twice, writing nothing', async (t) => {
        const { store, defer } = await fixture(t);
        const lease = await store.grantLease(2);
        defer(() => lease.revoke());
        assert.deepEqual(await store.createAll([]), []);
        assert.deepEqual(await store.createAll([], { lease }), []);
        await assert.rejects(
          store.createAll([{ key: 'cd/a', value: '1' }, { key: 'cd/b', value: '2' }, { key: 'cd/a', value: '3' }]),
          isCallerMistake,
        );
        await assert.rejects(store.createAll([{ key: 'cd/c', value: '1' }, { key: 'cd/c', value: '1' }], { lease }), isCallerMistake);
        assert.deepEqual((await store.list('cd/')).items, []);
      });

      it('holds every key under the lease: revoking it deletes them all; writing under it then fails', async (t) => {
        const { store, another } = await fixture(t);
        const other = await another();
        const lease = await store.grantLease(2);
        const entries = [{ key: 'cl/name', value: 'n' }, { key: 'cl/addr/10.0.0.2', value: 'a' }, { key: 'cl/ep/e1', value: 'e' }];
        const held = await store.createAll(entries, { lease });
        assert.ok(held);
        assert.deepEqual(held.map((kv) => [kv.key, kv.value, kv.lease]), entries.map((e) => [e.key, e.value, lease.id]));
        for (const kv of held) assert.deepEqual(await other.get(kv.key), kv);
        const plain = await store.create('cl/plain', 'p');
        await lease.revoke();
        for (const { key } of entries) assert.equal(await store.get(key), undefined, `${key} went with the lease`);
        assert.deepEqual(await store.get('cl/plain'), plain, 'keys without the lease stay');
        await assert.rejects(store.createAll([{ key: 'cl/late', value: 'x' }, { key: 'cl/late2', value: 'x' }], { lease }));
        assert.deepEqual((await store.list('cl/')).items, [plain]);
      });

      it('gives watchers one put per key, between the changes before and after it', async (t) => {
        const { store, another, defer } = await fixture(t);
        const other = await another();
        const recorder = await WatchRecorder.start(store, 'cw/', (await store.list('cw/')).revision);
        defer(() => recorder.close());
        await store.create('cw/before', '0');
        const created = await other.createAll([
          { key: 'cw/x/1', value: '1' }, { key: 'cw/y/2', value: '2' }, { key: 'cw/3', value: '3' },
        ]);
        assert.ok(created);
        await other.createAll([{ key: 'cw/x/1', value: 'refused' }, { key: 'cw/4', value: 'refused' }]);
        await store.create('cw/after', '4');
        await waitUntil(() => recorder.events.length >= 5, 'five events');
        await sleep(100); // room for anything extra to show up
        const trail = recorder.trail;
        assert.equal(trail.length, 5, trail.join(' '));
        assert.equal(trail[0], 'put:cw/before');
        assert.deepEqual(trail.slice(1, 4).sort(), ['put:cw/3', 'put:cw/x/1', 'put:cw/y/2']);
        assert.equal(trail[4], 'put:cw/after');
        for (const kv of created) {
          const event = recorder.events.find((e) => e.type === 'put' && e.kv.key === kv.key);
          assert.deepEqual(event, { type: 'put', kv, revision: kv.revision });
        }
        const revisions = recorder.events.map((e) => e.revision);
        assert.deepEqual([...revisions].sort((a, b) => a - b), revisions, 'in revision order');
        assert.ok(revisions[0]! < revisions[1]! && revisions[3]! < revisions[4]!);
        assert.deepEqual(recorder.errors, []);
      });
    });

    describe('watch', () => {
      it('misses nothing and repeats nothing when started at a listing\'s revision', async (t) => {
        const { store, another, defer } = await fixture(t);
        const other = await another();
        await store.create('w/before', '0');
        const listing = await store.list('w/');
        await other.create('w/between', '1'); // after the listing, before the watch
        const recorder = await WatchRecorder.start(store, 'w/', listing.revision);
        defer(() => recorder.close());
        await other.create('w/after', '2');
        await store.delete('w/before');
        await waitUntil(() => recorder.events.length >= 3, 'three events');
        await sleep(100); // room for anything extra to show up
        assert.deepEqual(recorder.trail, ['put:w/between', 'put:w/after', 'delete:w/before']);
        assert.deepEqual(recorder.errors, []);
      });

      it('delivers puts and deletes under the prefix only, in strictly increasing revisions', async (t) => {
        const { store, another, defer } = await fixture(t);
        const other = await another();
        const start = (await store.list('o/')).revision;
        const recorder = await WatchRecorder.start(store, 'o/', start);
        defer(() => recorder.close());
        const expected: WatchEvent[] = [];
        const put = async (client: Store, key: string, value: string) => {
          const current = await client.get(key);
          const kv = current ? await client.compareAndSwap(key, value, current.revision) : await client.create(key, value);
          assert.ok(kv);
          expected.push({ type: 'put', kv, revision: kv.revision });
        };
        const remove = async (client: Store, key: string) => {
          const current = await client.get(key);
          assert.ok(current && (await client.delete(key, current.revision)));
          const after = (await client.list('o/')).revision; // the delete's revision is at most this
          expected.push({ type: 'delete', key, revision: after });
        };
        for (let i = 0; i < 10; i++) {
          const client = i % 2 === 0 ? store : other;
          await put(client, `o/k${i % 3}`, `v${i}`);
          await client.create(`outside/k${i}`, 'x');
          if (i % 4 === 3) await remove(client, `o/k${i % 3}`);
        }
        await waitUntil(() => recorder.events.length >= expected.length, `${expected.length} events`);
        await sleep(100);
        const got = recorder.events;
        assert.deepEqual(got.map((e) => e.type), expected.map((e) => e.type));
        assert.deepEqual(recorder.trail.map((s) => s.split(':')[1]), expected.map((e) => (e.type === 'put' ? e.kv.key : e.key)));
        for (let i = 0; i < got.length; i++) {
          const e = got[i]!;
          const want = expected[i]!;
          if (i > 0) assert.ok(e.revision > got[i - 1]!.revision, `revision ${e.revision} after ${got[i - 1]!.revision}`);
          assert.ok(e.revision > start);
          if (e.type === 'put' && want.type === 'put') {
            assert.equal(e.revision, want.revision);
            assert.deepEqual(e.kv, want.kv);
          } else {
            assert.ok(e.revision <= want.revision);
          }
        }
      });

      it('awaits each onEvents call before the next', async (t) => {
        const { store, defer } = await fixture(t);
        const start = (await store.list('s/')).revision;
        let inFlight = 0;
        let overlapped = false;
        const seen: string[] = [];
        const watch = await store.watch('s/', {
          fromRevision: start,
          onEvents: async (events) => {
            inFlight++;
            overlapped ||= inFlight > 1;
            await sleep(30);
            for (const e of events) seen.push(e.type === 'put' ? e.kv.value : 'deleted');
            inFlight--;
          },
        });
        defer(() => watch.close());
        for (let i = 0; i < 20; i++) {
          await store.create(`s/${i}`, String(i));
          if (i % 5 === 0) await sleep(10); // let several batches form
        }
        await waitUntil(() => seen.length === 20, 'twenty values');
        assert.equal(overlapped, false);
        assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => String(i)));
      });

      it('delivers nothing once closed', async (t) => {
        const { store } = await fixture(t);
        const recorder = await WatchRecorder.start(store, 'c/', (await store.list('c/')).revision);
        await store.create('c/a', '1');
        await waitUntil(() => recorder.events.length === 1, 'the first event');
        await recorder.close();
        await recorder.close(); // twice is fine
        await store.create('c/b', '2');
        await sleep(200);
        assert.deepEqual(recorder.trail, ['put:c/a']);
      });

      it('resumes from an older revision and reaches the current state', async (t) => {
        const { store, another, defer } = await fixture(t);
        const other = await another();
        const first = await WatchRecorder.start(store, 'r/', (await store.list('r/')).revision);
        const a = await store.create('r/a', 'a1');
        const b = await store.create('r/b', 'b1');
        await store.create('r/c', 'c1');
        await waitUntil(() => first.state.size === 3, 'three keys');
        await first.close();
        const resumeAt = first.lastRevision!;

        // While nobody watches: update, delete, create, and delete-then-recreate.
        await other.compareAndSwap('r/a', 'a2', a!.revision);
        await other.delete('r/b', b!.revision);
        await other.create('r/d', 'd1');
        await other.delete('r/c');
        await other.create('r/c', 'c2');
        await other.create('elsewhere', 'x');

        const second = await WatchRecorder.start(store, 'r/', resumeAt, first.state);
        defer(() => second.close());
        const want = await snapshot(store, 'r/');
        assert.deepEqual(want, new Map([['r/a', 'a2'], ['r/c', 'c2'], ['r/d', 'd1']]));
        await waitUntil(() => sameMap(second.state, want), `the resumed watch to reach ${JSON.stringify([...want])}`);
        assert.ok(second.events.every((e) => e.revision > resumeAt), 'only changes after the resume revision');
        assert.deepEqual(second.errors, []);
      });
    });

    describe('leases', () => {
      it('marks keys with the lease they are held under', async (t) => {
        const { store, defer } = await fixture(t);
        const lease = await store.grantLease(2);
        defer(() => lease.revoke());
        const kv = await store.create('L/a', 'x', { lease });
        assert.equal(kv?.lease, lease.id);
        assert.equal((await store.get('L/a'))?.lease, lease.id);
        assert.equal((await store.create('L/plain', 'x'))?.lease, undefined);
      });

      it('deletes the keys of an expired lease, with delete events', async (t) => {
        const { store, defer } = await fixture(t);
        const recorder = await WatchRecorder.start(store, 'e/', (await store.list('e/')).revision);
        defer(() => recorder.close());
        const lease = await store.grantLease(1, { keepAlive: false });
        await store.create('e/held', 'x', { lease });
        await store.create('e/free', 'x');
        await waitUntil(async () => (await store.get('e/held')) === undefined, 'the lease to expire');
        await waitUntil(() => recorder.trail.includes('delete:e/held'), 'the delete event');
        assert.ok(await store.get('e/free'), 'keys without the lease stay');
        await assert.rejects(store.create('e/late', 'x', { lease }), 'writing under an expired lease fails');
      });

      it('revoke deletes the lease\'s keys at once; writing under it then fails', async (t) => {
        const { store } = await fixture(t);
        const lease = await store.grantLease(2);
        await store.create('v/a', 'x', { lease });
        await store.create('v/b', 'x', { lease });
        await lease.revoke();
        assert.equal(await store.get('v/a'), undefined);
        assert.equal(await store.get('v/b'), undefined);
        await lease.revoke(); // twice is fine
        await assert.rejects(store.create('v/c', 'x', { lease }));
        assert.equal(await store.get('v/c'), undefined);
      });

      it('keeps keys past the ttl while kept alive, in the background or by hand', async (t) => {
        const { store } = await fixture(t);
        const background = await store.grantLease(1);
        const manual = await store.grantLease(1, { keepAlive: false });
        let lost = 0;
        background.onLost(() => lost++);
        await store.create('a/background', 'x', { lease: background });
        await store.create('a/manual', 'x', { lease: manual });
        for (let i = 0; i < 10; i++) {
          await sleep(300); // 3 s in all: three ttls
          await manual.keepAliveOnce();
        }
        assert.ok(await store.get('a/background'));
        assert.ok(await store.get('a/manual'));
        await background.revoke();
        await manual.revoke();
        await assert.rejects(background.keepAliveOnce(), 'a revoked lease cannot be kept alive');
        await sleep(100);
        assert.equal(lost, 0, 'neither keep-alive nor our own revoke is a loss');
      });

      it('calls onLost once when the lease is found lost; keepAliveOnce then rejects', async (t) => {
        const { store } = await fixture(t);
        const lease = await store.grantLease(1, { keepAlive: false });
        const errors: Error[] = [];
        let unsubscribedCalls = 0;
        lease.onLost((err) => errors.push(err));
        const unsubscribe = lease.onLost(() => unsubscribedCalls++);
        unsubscribe();
        await store.create('x/held', 'x', { lease });
        await waitUntil(async () => (await store.get('x/held')) === undefined, 'the lease to expire');
        await assert.rejects(lease.keepAliveOnce(), LeaseLostError);
        await waitUntil(() => errors.length > 0, 'onLost');
        await assert.rejects(lease.keepAliveOnce(), LeaseLostError);
        await sleep(100);
        assert.equal(errors.length, 1, 'onLost fires once');
        assert.equal(unsubscribedCalls, 0);
        let late: Error | undefined;
        lease.onLost((err) => (late = err));
        await waitUntil(() => late !== undefined, 'a late subscriber to hear of the loss');
      });
    });

    describe('restarts', () => {
      it('carries a watch and a lease across a restart of the store: nothing lost, nothing repeated', async (t) => {
        const { store, defer } = await fixture(t);
        const recorder = await WatchRecorder.start(store, 'rs/', (await store.list('rs/')).revision);
        defer(() => recorder.close());
        const lease = await store.grantLease(2);
        let lost: Error | undefined;
        lease.onLost((err) => (lost = err));
        await store.create('rs/held', 'h', { lease });
        for (let i = 0; i < 5; i++) await store.create(`rs/before${i}`, String(i));
        await waitUntil(() => recorder.state.size === 6, 'the writes before the restart');

        await factory.restart?.();
        for (let i = 0; i < 5; i++) await untilAvailable(() => store.create(`rs/after${i}`, String(i)));

        // The lease either survived (keep-alive got through in time) or was reported lost, and
        // then its owner can hold the key again under a new one.
        const survived = await untilAvailable(() => lease.keepAliveOnce().then(() => true, (err: unknown) => {
          if (err instanceof LeaseLostError) return false;
          throw err;
        }));
        if (survived) {
          assert.equal((await store.get('rs/held'))?.lease, lease.id);
        } else {
          await waitUntil(() => lost !== undefined, 'onLost after the lease was found lost');
          await waitUntil(async () => (await store.get('rs/held')) === undefined, 'the lost lease\'s key to go');
          const again = await store.grantLease(2);
          defer(() => again.revoke());
          assert.ok(await store.create('rs/held', 'h2', { lease: again }));
        }

        const want = await snapshot(store, 'rs/');
        assert.equal(want.size, 11);
        await waitUntil(() => sameMap(recorder.state, want), `the watch to reach ${JSON.stringify([...want])}`);
        const seen = recorder.events.map((e) => `${e.type}:${e.type === 'put' ? e.kv.key : e.key}@${e.revision}`);
        assert.equal(new Set(seen).size, seen.length, `no event twice: ${seen.join(' ')}`);
        for (let i = 1; i < recorder.events.length; i++) {
          assert.ok(recorder.events[i]!.revision >= recorder.events[i - 1]!.revision, `revisions in order: ${seen.join(' ')}`);
        }
        for (const key of [...want.keys()].filter((k) => k !== 'rs/held')) {
          assert.equal(recorder.trail.filter((s) => s === `put:${key}`).length, 1, `${key} put exactly once`);
        }
        assert.deepEqual(recorder.errors, []);
      });
    });

    describe('processes', () => {
      it('two processes incrementing one counter lose no update and each sees the other\'s writes', async (t) => {
        const { store, config, defer } = await fixture(t);
        const prefix = 'race/';
        const times = 100;
        const fromRevision = (await store.list(prefix)).revision;
        const job = (id: string, other: string) => ({
          module: factory.module, config,
          job: { kind: 'race' as const, id, other, times, total: 2 * times, prefix, fromRevision, stallMs: 1 },
        });
        const children = [startChild(job('a', 'b')), startChild(job('b', 'a'))];
        defer(() => children.forEach((c) => c.stop()));
        await Promise.all(children.map((c) => c.ready));
        for (const c of children) c.go();
        const results = (await Promise.all(children.map((c) => c.result))) as RaceResult[];
        assert.equal((await store.get(`${prefix}counter`))?.value, String(2 * times));
        for (const { seen } of results) {
          assert.ok(seen.every((n, i) => i === 0 || n > seen[i - 1]!), 'counter values only grow');
          assert.equal(seen.at(-1), 2 * times);
        }
        // The parent, a third client, agrees through its own updateJson.
        assert.equal((await updateJson<number>(store, `${prefix}counter`, (n) => (n ?? 0) + 1)).value, 2 * times + 1);
      });
    });
  });
}
