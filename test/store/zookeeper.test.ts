// The ZooKeeper backend against a real ZooKeeper 3.8 server started for this file: the
// conformance suite (its restart test restarts the server), an expired session, and key paths.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import { LeaseLostError } from '../../src/store/store.js';
import { openZooKeeperStore } from '../../src/store/zookeeper/index.js';
import { KeyPaths } from '../../src/store/zookeeper/paths.js';
import { startTcpProxy, startZooKeeper, type TcpProxy, type ZooKeeperServer } from '../helpers/servers.js';
import { describeStore } from './conformance.js';
import { sameMap, snapshot, waitUntil, WatchRecorder } from './helpers.js';
import type { ZooKeeperTestConfig } from './zookeeper-opener.js';

let zk: ZooKeeperServer;
before(async () => {
  zk = await startZooKeeper();
});
after(() => zk?.stop());

const prefix = () => `t${randomBytes(4).toString('hex')}`;
const config = (): ZooKeeperTestConfig => ({ servers: [zk.endpoint], prefix: prefix() });

describeStore('zookeeper', {
  module: new URL('./zookeeper-opener.js', import.meta.url).href,
  newConfig: config,
  restart: () => zk.restart(),
});

/**
 * Expire a session whose client talks through `proxy`, as the server would after a partition:
 * cut the client off (so it cannot reconnect and take the session back), close the session
 * from another connection with its id and password, then let the client back in to hear it.
 */
async function expireSession(proxy: TcpProxy, sessionId: Buffer, password: Buffer): Promise<void> {
  proxy.cut();
  const killer = zookeeper.createClient(`${zk.endpoint.host}:${zk.endpoint.port}`, { sessionId, sessionPassword: password, sessionTimeout: 1000 });
  await new Promise<void>((resolve) => {
    killer.once('connected', () => resolve());
    killer.connect();
  });
  killer.close();
  await new Promise((resolve) => setTimeout(resolve, 300));
  proxy.resume();
}

async function proxied(t: TestContext): Promise<{ proxy: TcpProxy; config: ZooKeeperTestConfig }> {
  const proxy = await startTcpProxy(zk.endpoint);
  t.after(() => proxy.close());
  return { proxy, config: { servers: [proxy.endpoint], prefix: prefix() } };
}

function sessionOf(lease: object): { id: Buffer; password: Buffer } {
  const client = (lease as { session: { client: { getSessionId(): Buffer; getSessionPassword(): Buffer } } }).session.client;
  return { id: client.getSessionId(), password: client.getSessionPassword() };
}

describe('zookeeper store', () => {
  it('maps keys to znodes: "/" makes directories, values live in "=" leaves, odd segments are escaped', () => {
    const paths = new KeyPaths('/p/weft/v1');
    assert.deepEqual(paths.node('endpoints/n1/e7'), { dir: '/p/weft/v1/endpoints/n1', path: '/p/weft/v1/endpoints/n1/=e7' });
    assert.equal(paths.node('a//b').path, '/p/weft/v1/a/%/=b');
    assert.equal(paths.node('x/').path, '/p/weft/v1/x/=');
    assert.equal(paths.node('../%=é').path, '/p/weft/v1/%2E%2E/=%25%3D%C3%A9');
    for (const key of ['endpoints/n1/e7', 'a//b', 'x/', '../%=é', '', 'ipam/10.0.0.0/24']) {
      assert.equal(paths.key(paths.node(key).path), key);
    }
  });

  it('holds leased keys as ephemeral znodes of the lease\'s session; an expired session is a lost lease', async (t) => {
    const { proxy, config: cfg } = await proxied(t);
    const store = await openZooKeeperStore(cfg);
    t.after(() => store.close());
    const recorder = await WatchRecorder.start(store, 'x/', (await store.list('x/')).revision);
    t.after(() => recorder.close());
    const lease = await store.grantLease(5);
    const lost: Error[] = [];
    lease.onLost((err) => lost.push(err));
    const held = await store.create('x/held', 'v', { lease });
    assert.equal(held?.lease, lease.id);
    await store.create('x/plain', 'p');

    const { id, password } = sessionOf(lease);
    await expireSession(proxy, id, password);
    await waitUntil(() => lost.length > 0, 'onLost after the session ended');
    assert.ok(lost[0] instanceof LeaseLostError);
    assert.equal(await store.get('x/held'), undefined, 'its ephemeral key went with it');
    await assert.rejects(store.create('x/late', 'v', { lease }), LeaseLostError);

    // The owner's recovery: a new lease (a new session) holds the key again.
    const again = await store.grantLease(5);
    t.after(() => again.revoke());
    assert.notEqual(again.id, lease.id);
    assert.equal((await store.create('x/held', 'v2', { lease: again }))?.lease, again.id);
    const want = await snapshot(store, 'x/');
    assert.deepEqual(want, new Map([['x/held', 'v2'], ['x/plain', 'p']]));
    // The delete and the re-create may reach the watch as one change (ZooKeeper keeps no
    // history): what counts is the state it ends in.
    await waitUntil(() => sameMap(recorder.state, want), 'the watch to follow');
  });

  it('resyncs a watch when the store\'s own session expires', async (t) => {
    const { proxy, config: cfg } = await proxied(t);
    const store = await openZooKeeperStore(cfg);
    t.after(() => store.close());
    const recorder = await WatchRecorder.start(store, 'r/', (await store.list('r/')).revision);
    t.after(() => recorder.close());
    await store.create('r/a', '1');
    await store.create('r/b', '1');
    await waitUntil(() => recorder.state.size === 2, 'the first keys');
    const main = (store as unknown as { main: { client: { getSessionId(): Buffer; getSessionPassword(): Buffer } } }).main.client;
    const writer = await openZooKeeperStore({ ...cfg, servers: [zk.endpoint] });
    t.after(() => writer.close());
    proxy.cut();
    // Changes while the watching client is cut off and its session ends: seen after the resync.
    await writer.delete('r/a');
    await writer.create('r/c', '1');
    proxy.resume();
    await expireSession(proxy, main.getSessionId(), main.getSessionPassword());
    const want = await snapshot(store, 'r/');
    await waitUntil(() => sameMap(recorder.state, want), 'the resynced watch to reach the current state');
    assert.deepEqual(recorder.errors, []);
  });
});
