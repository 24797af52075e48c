// The etcd backend against a real etcd 3.4 member started for this file: the conformance suite,
// a restart of etcd in the middle of a run, and what only etcd does (compaction).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Etcd3, GRPCUnavailableError, KVClient } from 'etcd3';
import { ReceiptedWriter } from '../../src/store/etcd/writes.js';
import { openEtcdStore, WatchCompactedError } from '../../src/store/etcd/index.js';
import { startEtcd, type EtcdCluster } from '../helpers/servers.js';
import { describeStore } from './conformance.js';
import { waitUntil, WatchRecorder } from './helpers.js';
import type { EtcdTestConfig } from './etcd-opener.js';

let etcd: EtcdCluster;
before(async () => {
  etcd = await startEtcd();
});
after(() => etcd?.stop());

const prefix = () => `t${randomBytes(4).toString('hex')}`;
const opener = new URL('./etcd-opener.js', import.meta.url).href;

describeStore('etcd', {
  module: opener,
  newConfig: (): EtcdTestConfig => ({ endpoints: etcd.endpoints, prefix: prefix() }),
  restart: () => etcd.members[0]!.kill('SIGKILL').then(() => etcd.members[0]!.restart()),
});

describe('etcd store', () => {
  it('keeps its keys under <prefix>/weft/v1/ and nothing else in the root', async (t) => {
    const p = prefix();
    const store = await openEtcdStore({ endpoints: etcd.endpoints, prefix: p });
    t.after(() => store.close());
    await store.create('networks/n1', '{}');
    const raw = new Etcd3({ hosts: etcd.endpoints.map((e) => `${e.host}:${e.port}`) });
    t.after(() => raw.close());
    assert.equal(await raw.get(`${p}/weft/v1/networks/n1`).string(), '{}');
    assert.deepEqual((await store.list('')).items.map((kv) => kv.key), ['networks/n1']);
  });

  it('refuses a watch from a compacted revision; a watch from the compaction point works', async (t) => {
    const store = await openEtcdStore({ endpoints: etcd.endpoints, prefix: prefix() });
    t.after(() => store.close());
    const first = await store.create('c/a', '1');
    await store.compareAndSwap('c/a', '2', first!.revision);
    const now = (await store.list('c/')).revision;
    const raw = new Etcd3({ hosts: etcd.endpoints.map((e) => `${e.host}:${e.port}`) });
    t.after(() => raw.close());
    await raw.kv.compact({ revision: now, physical: true });
    await assert.rejects(store.watch('c/', { fromRevision: first!.revision - 1, onEvents: () => {} }), WatchCompactedError);
    const recorder = await WatchRecorder.start(store, 'c/', now);
    t.after(() => recorder.close());
    await store.create('c/b', 'x');
    await waitUntil(() => recorder.trail.includes('put:c/b'), 'the watch to work from the compaction point');
  });

  it('reports a write whose reply was lost as done, once, at its revision (receipts)', async (t) => {
    const real = new Etcd3({ hosts: etcd.endpoints.map((e) => `${e.host}:${e.port}`) });
    t.after(() => real.close());
    // A connection that loses the reply of the next transaction after etcd applied it.
    let loseNextReply = true;
    const flaky = {
      callOptionsFactory: undefined,
      markFailed: () => undefined,
      withConnection: () => Promise.reject(new Error('not used')),
      async exec(_service: string, method: string, payload: unknown) {
        const res: unknown = await (real.kv as unknown as Record<string, (p: unknown) => Promise<unknown>>)[method]!.call(real.kv, payload);
        if (method === 'txn' && loseNextReply) {
          loseNextReply = false;
          throw new GRPCUnavailableError('14 UNAVAILABLE: the reply was lost');
        }
        return res;
      },
    };
    const p = prefix();
    const writer = new ReceiptedWriter(new KVClient(flaky as unknown as ConstructorParameters<typeof KVClient>[0]), `${p}/weft/receipts/`, 5000);
    const key = Buffer.from(`${p}/k`);
    const create = () => writer.txn(
      [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
      [{ request_put: { key, value: Buffer.from('mine') } }],
      [],
    );
    const first = await create();
    assert.equal(first.committed, true, 'the retry found its receipt instead of reporting "exists"');
    const stored = (await real.kv.range({ key })).kvs[0]!;
    assert.equal(first.committed && first.revision, Number(stored.mod_revision));
    assert.equal(stored.version, '1', 'written once');
    assert.equal((await create()).committed, false, 'a second create of the same key is refused');
    const receipts = await real.getAll().prefix(`${p}/weft/receipts/`).keys();
    assert.ok(receipts.length <= 1, `receipts are cleaned up as the client goes: ${receipts.join(', ')}`);
  });

  it('fails to open with StoreUnavailableError naming the URL when nothing listens', async () => {
    const started = Date.now();
    await assert.rejects(
      openEtcdStore({ endpoints: [{ host: '127.0.0.1', port: 1 }], prefix: 'x', connectTimeoutMs: 500 }),
      (err: Error) => err.name === 'StoreUnavailableError' && err.message.includes('etcd://127.0.0.1:1/x'),
    );
    assert.ok(Date.now() - started < 10_000, 'gives up within a bounded time');
  });
});
