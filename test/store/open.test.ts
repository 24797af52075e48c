// openClusterStore (the daemon's one list of backends) with bad input: an unknown scheme, a
// malformed URL, and a store that is not reachable at start-up (retried, said, then given up).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClusterStoreUnreachableError, openClusterStore } from '../../src/daemon/stores.js';
import { StoreUrlError } from '../../src/store/url.js';
import { freePort, startEtcd, startTcpProxy, type EtcdCluster } from '../helpers/servers.js';
import { sleep } from './helpers.js';

describe('openClusterStore', () => {
  let etcd: EtcdCluster;
  before(async () => {
    etcd = await startEtcd();
  });
  after(() => etcd?.stop());

  it('refuses an unknown scheme and a malformed URL at once, naming them', async () => {
    await assert.rejects(openClusterStore('redis://10.0.0.1:6379'), (err: Error) =>
      err instanceof StoreUrlError && /unknown scheme "redis"; expected one of sqlite, etcd, zk, consul/.test(err.message));
    await assert.rejects(openClusterStore('etcd//10.0.0.1:2379'), StoreUrlError);
    await assert.rejects(openClusterStore('etcd://10.0.0.1:notaport'), /"notaport" .* is not a port/);
    await assert.rejects(openClusterStore('zk://'), /missing host:port/);
  });

  for (const scheme of ['etcd', 'zk', 'consul'] as const) {
    it(`retries an unreachable ${scheme} store, says so, and gives up after the bound with an error naming the URL`, async () => {
      const url = `${scheme}://127.0.0.1:${await freePort()}/weft`;
      const said: string[] = [];
      const started = Date.now();
      await assert.rejects(openClusterStore(url, { log: (m) => said.push(m), giveUpAfterMs: 1500 }), (err: Error) =>
        err instanceof ClusterStoreUnreachableError && err.message.startsWith(`cluster store ${url} unreachable; gave up after`));
      assert.ok(Date.now() - started < 10_000, 'bounded');
      assert.ok(said.length >= 1, 'each retry is said');
      assert.match(said[0]!, new RegExp(`cluster store ${url} is unreachable .*; retrying in`));
    });
  }

  it('opens a store that comes up while it retries', async (t) => {
    const proxy = await startTcpProxy(etcd.endpoints[0]!);
    t.after(() => proxy.close());
    proxy.cut();
    const said: string[] = [];
    const opening = openClusterStore(`etcd://127.0.0.1:${proxy.endpoint.port}/late`, { log: (m) => said.push(m), giveUpAfterMs: 20_000 });
    await sleep(3000);
    proxy.resume();
    const store = await opening;
    t.after(() => store.close());
    assert.ok(said.some((m) => m.includes('retrying')));
    assert.ok(await store.create('k', 'v'));
  });

  it('opens every backend from its URL', async (t) => {
    const store = await openClusterStore(etcd.url('via-url'));
    t.after(() => store.close());
    assert.equal(store.description, etcd.url('via-url'));
  });
});
