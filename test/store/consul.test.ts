// The Consul backend against a fake agent on loopback (there is no Consul server here): how it
// builds requests and reads answers, per Consul's documented HTTP API. Never run against a real
// Consul; see docs/stores.md.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it, type TestContext } from 'node:test';
import { openConsulStore } from '../../src/store/consul/index.js';
import { LeaseLostError, StoreUnavailableError, type Store } from '../../src/store/store.js';
import { FakeConsul } from './fake-consul.js';
import { waitUntil, WatchRecorder } from './helpers.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('consul store (fake agent)', () => {
  let consul: FakeConsul;
  before(async () => {
    consul = await FakeConsul.start();
  });
  after(() => consul?.close());
  beforeEach(() => {
    consul.kv.clear();
    consul.requests.length = 0;
  });

  async function open(t: TestContext, prefix = 'p'): Promise<Store> {
    const store = await openConsulStore({ agent: { host: '127.0.0.1', port: consul.port }, prefix, watchWaitSeconds: 1 });
    t.after(() => store.close());
    return store;
  }

  const txns = () => consul.requests.filter((r) => r.path === '/v1/txn').map((r) => r.body);

  it('proves the agent answers on open, with a recurse read of its keyspace', async (t) => {
    const store = await open(t);
    assert.equal(store.description, `consul://127.0.0.1:${consul.port}/p`);
    const first = consul.requests[0]!;
    assert.equal(first.path, '/v1/kv/p/weft/v1/');
    assert.equal(first.query.get('recurse'), 'true');
  });

  it('creates with check-not-exists + set in one transaction, reading the ModifyIndex back', async (t) => {
    const store = await open(t);
    const kv = await store.create('networks/n1', '{"a":1}');
    assert.deepEqual(txns().at(-1), [
      { KV: { Verb: 'check-not-exists', Key: 'p/weft/v1/networks/n1' } },
      { KV: { Verb: 'set', Key: 'p/weft/v1/networks/n1', Value: b64('{"a":1}') } },
    ]);
    assert.equal(kv?.revision, consul.kv.get('p/weft/v1/networks/n1')!.ModifyIndex);
    assert.equal(await store.create('networks/n1', 'again'), undefined, 'a refused check (409) is "exists", not an error');
    assert.deepEqual(await store.get('networks/n1'), kv);
  });

  it('swaps with check-index + delete + set, so a swap without a lease drops the session', async (t) => {
    const store = await open(t);
    const lease = await store.grantLease(1);
    const first = await store.create('k', 'one', { lease });
    assert.equal(first?.lease, lease.id);
    assert.deepEqual(txns().at(-1), [
      { KV: { Verb: 'check-not-exists', Key: 'p/weft/v1/k' } },
      { KV: { Verb: 'lock', Key: 'p/weft/v1/k', Value: b64('one'), Session: lease.id } },
    ]);
    const second = await store.compareAndSwap('k', 'two', first!.revision);
    assert.deepEqual(txns().at(-1), [
      { KV: { Verb: 'check-index', Key: 'p/weft/v1/k', Index: first!.revision } },
      { KV: { Verb: 'delete', Key: 'p/weft/v1/k' } },
      { KV: { Verb: 'set', Key: 'p/weft/v1/k', Value: b64('two') } },
    ]);
    assert.ok(second && second.revision > first!.revision);
    assert.equal((await store.get('k'))?.lease, undefined, 'detached from the lease');
    assert.equal(await store.compareAndSwap('k', 'stale', first!.revision), undefined);
  });

  it('creates several keys in one transaction: cas at index 0 per key, all at one index, or none', async (t) => {
    const store = await open(t);
    const created = await store.createAll([{ key: 'm/a', value: '1' }, { key: 'm/b', value: '2' }]);
    assert.deepEqual(txns().at(-1), [
      { KV: { Verb: 'cas', Key: 'p/weft/v1/m/a', Value: b64('1'), Index: 0 } },
      { KV: { Verb: 'cas', Key: 'p/weft/v1/m/b', Value: b64('2'), Index: 0 } },
    ]);
    const index = consul.kv.get('p/weft/v1/m/a')!.ModifyIndex;
    assert.deepEqual(created, [{ key: 'm/a', value: '1', revision: index }, { key: 'm/b', value: '2', revision: index }]);
    assert.equal(consul.kv.get('p/weft/v1/m/b')!.ModifyIndex, index);

    const sent = txns().length;
    assert.equal(await store.createAll([{ key: 'm/c', value: '3' }, { key: 'm/b', value: 'again' }]), undefined, 'a refused cas is "exists"');
    assert.equal(txns().length, sent + 1, 'one transaction, refused as a whole');
    assert.equal(consul.kv.has('p/weft/v1/m/c'), false);
    assert.deepEqual(await store.get('m/b'), created![1]);

    const requests = consul.requests.length;
    assert.deepEqual(await store.createAll([]), []);
    await assert.rejects(store.createAll([{ key: 'm/d', value: '1' }, { key: 'm/d', value: '2' }]), /more than once/);
    assert.equal(consul.requests.length, requests, 'neither an empty list nor a repeated key reaches the agent');
  });

  it('creates several keys under a lease with check-not-exists per key, then lock per key', async (t) => {
    const store = await open(t);
    const lease = await store.grantLease(10, { keepAlive: false });
    const held = await store.createAll([{ key: 'h/a', value: '1' }, { key: 'h/b', value: '2' }], { lease });
    assert.deepEqual(txns().at(-1), [
      { KV: { Verb: 'check-not-exists', Key: 'p/weft/v1/h/a' } },
      { KV: { Verb: 'check-not-exists', Key: 'p/weft/v1/h/b' } },
      { KV: { Verb: 'lock', Key: 'p/weft/v1/h/a', Value: b64('1'), Session: lease.id } },
      { KV: { Verb: 'lock', Key: 'p/weft/v1/h/b', Value: b64('2'), Session: lease.id } },
    ]);
    assert.deepEqual(held?.map((kv) => [kv.key, kv.lease]), [['h/a', lease.id], ['h/b', lease.id]]);
    assert.equal(await store.createAll([{ key: 'h/c', value: '3' }, { key: 'h/a', value: 'x' }], { lease }), undefined);
    assert.equal(consul.kv.has('p/weft/v1/h/c'), false);

    await lease.revoke();
    assert.equal(consul.kv.has('p/weft/v1/h/a') || consul.kv.has('p/weft/v1/h/b'), false, 'both went with the session');

    const gone = await store.grantLease(10, { keepAlive: false });
    consul.sessions.delete(gone.id); // gone without our knowing: its locks are refused
    await assert.rejects(store.createAll([{ key: 'h/d', value: '1' }, { key: 'h/e', value: '2' }], { lease: gone }), LeaseLostError);
    assert.equal(consul.requests.at(-1)!.path, `/v1/session/info/${gone.id}`);
    assert.equal(consul.kv.has('p/weft/v1/h/d'), false);
  });

  it('deletes with delete-cas at a revision, or get + delete (refused if absent) without one', async (t) => {
    const store = await open(t);
    const kv = await store.create('d', 'x');
    assert.equal(await store.delete('d', kv!.revision + 1), false);
    assert.deepEqual(txns().at(-1), [{ KV: { Verb: 'delete-cas', Key: 'p/weft/v1/d', Index: kv!.revision + 1 } }]);
    assert.equal(await store.delete('d'), true);
    assert.deepEqual(txns().at(-1), [{ KV: { Verb: 'get', Key: 'p/weft/v1/d' } }, { KV: { Verb: 'delete', Key: 'p/weft/v1/d' } }]);
    assert.equal(await store.delete('d'), false, 'absent');
  });

  it('lists with ?recurse: values decoded, sessions as leases, X-Consul-Index as the revision, keys escaped', async (t) => {
    const store = await open(t);
    consul.put('p/weft/v1/l/b', 'B');
    consul.put('p/weft/v1/l/a b', 'A');
    consul.put('p/weft/v1/lx', 'no');
    const listing = await store.list('l/');
    assert.deepEqual(listing.items.map((kv) => [kv.key, kv.value]), [['l/a b', 'A'], ['l/b', 'B']]);
    assert.equal(listing.revision, consul.index);
    const req = consul.requests.at(-1)!;
    assert.equal(req.path, '/v1/kv/p/weft/v1/l/');
    assert.deepEqual(await store.get('l/a b'), listing.items[0]);
    assert.equal(consul.requests.at(-1)!.path, '/v1/kv/p/weft/v1/l/a%20b');
    assert.deepEqual((await store.list('none/')).items, [], 'a 404 is an empty listing');
  });

  it('makes leases sessions (TTL at least 10 s, Behavior=delete, no lock-delay), renewed, destroyed, lost on 404', async (t) => {
    const store = await open(t);
    const lease = await store.grantLease(2, { keepAlive: false });
    assert.equal(lease.ttlSeconds, 10);
    assert.deepEqual(consul.sessions.get(lease.id), { ttl: '10s', behavior: 'delete', lockDelay: '0s' });
    await lease.keepAliveOnce();
    assert.equal(consul.requests.at(-1)!.path, `/v1/session/renew/${lease.id}`);
    const lost: Error[] = [];
    lease.onLost((err) => lost.push(err));
    await store.create('held', 'x', { lease });
    consul.invalidate(lease.id); // the TTL ran out
    assert.equal(await store.get('held'), undefined);
    await assert.rejects(lease.keepAliveOnce(), LeaseLostError);
    await waitUntil(() => lost.length === 1, 'onLost');
    await assert.rejects(store.create('late', 'x', { lease }), LeaseLostError);

    const other = await store.grantLease(1);
    await store.create('mine', 'x', { lease: other });
    await other.revoke();
    assert.equal(consul.requests.at(-1)!.path, `/v1/session/destroy/${other.id}`);
    assert.equal(await store.get('mine'), undefined);
  });

  it('finds a lease lost when Consul refuses its lock for an invalid session', async (t) => {
    const store = await open(t);
    const lease = await store.grantLease(10, { keepAlive: false });
    consul.sessions.delete(lease.id); // gone without our knowing
    await assert.rejects(store.create('k', 'v', { lease }), LeaseLostError);
    assert.equal(consul.requests.at(-1)!.path, `/v1/session/info/${lease.id}`);
  });

  it('watches with blocking queries (?index=&wait=), turning successive answers into puts and deletes', async (t) => {
    const store = await open(t);
    await store.create('w/gone', '0');
    const start = (await store.list('w/')).revision;
    const recorder = await WatchRecorder.start(store, 'w/', start, new Map([['w/gone', '0']]));
    t.after(() => recorder.close());
    consul.put('p/weft/v1/w/a', '1');
    await waitUntil(() => recorder.state.get('w/a') === '1', 'the first put');
    const blocking = consul.requests.filter((r) => r.path === '/v1/kv/p/weft/v1/w/' && r.query.has('index'));
    assert.ok(blocking.length > 0);
    assert.equal(blocking[0]!.query.get('recurse'), 'true');
    assert.equal(blocking[0]!.query.get('wait'), '1s');
    consul.put('p/weft/v1/w/a', '2');
    consul.remove('p/weft/v1/w/gone');
    consul.put('p/weft/v1/other', 'not watched');
    await waitUntil(() => recorder.state.get('w/a') === '2' && !recorder.state.has('w/gone'), 'the update and the delete');
    assert.deepEqual(recorder.trail, ['put:w/a', 'put:w/a', 'delete:w/gone']);
    const revisions = recorder.events.map((e) => e.revision);
    assert.deepEqual([...revisions].sort((a, b) => a - b), revisions, 'in revision order');
    assert.ok(revisions.every((r) => r > start));

    assert.deepEqual(recorder.errors, []);

    // An index going backwards (a restored snapshot): revisions no longer compare, so the
    // owner is told to relist.
    consul.index = 3;
    consul.put('p/weft/v1/w/b', 'after restore');
    await waitUntil(() => recorder.errors.length === 1, 'onError');
    assert.match((recorder.errors as Error[])[0]!.message, /index went back/);
  });

  it('reports a 5xx answer as StoreUnavailableError; any other error as itself', async (t) => {
    const store = await open(t);
    consul.failNext = 500;
    await assert.rejects(store.get('k'), StoreUnavailableError);
    consul.failNext = 403;
    await assert.rejects(store.get('k'), (err: Error) => !(err instanceof StoreUnavailableError) && /403/.test(err.message));
  });

  it('fails to open with StoreUnavailableError when no agent listens', async () => {
    await assert.rejects(openConsulStore({ agent: { host: '127.0.0.1', port: 1 }, prefix: 'x', connectTimeoutMs: 500 }), StoreUnavailableError);
  });
});
