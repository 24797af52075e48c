// The etcd backend against a real three-member etcd cluster: the conformance suite (its restart
// test kills and restarts one member), then the leader is killed in the middle of a workload of
// two writers and a watcher, and nothing may be lost or applied twice.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { openEtcdStore } from '../../src/store/etcd/index.js';
import type { Store } from '../../src/store/store.js';
import { updateJson } from '../../src/store/update.js';
import { startEtcd, type EtcdCluster, type EtcdMember } from '../helpers/servers.js';
import { describeStore } from './conformance.js';
import { sleep, waitUntil, WatchRecorder } from './helpers.js';
import type { EtcdTestConfig } from './etcd-opener.js';

let etcd: EtcdCluster;
before(async () => {
  etcd = await startEtcd({ members: 3 });
});
after(() => etcd?.stop());

const prefix = () => `t${randomBytes(4).toString('hex')}`;

describeStore('etcd, three members', {
  module: new URL('./etcd-opener.js', import.meta.url).href,
  newConfig: (): EtcdTestConfig => ({ endpoints: etcd.endpoints, prefix: prefix() }),
  restart: async () => {
    const member = etcd.members[1]!;
    await member.kill('SIGKILL');
    await member.restart();
  },
});

/** The member that is the raft leader now, asked of the members themselves. */
async function leader(members: readonly EtcdMember[]): Promise<EtcdMember> {
  for (const m of members.filter((x) => x.running)) {
    const client = new Etcd3({ hosts: `${m.endpoint.host}:${m.endpoint.port}` });
    try {
      const status = await client.maintenance.status();
      if (status.leader === status.header.member_id) return m;
    } catch {
      // not answering: not the leader we can kill
    } finally {
      client.close();
    }
  }
  throw new Error('no member says it is the leader');
}

describe('etcd cluster', () => {
  it('loses and duplicates nothing when the leader is killed in the middle of a workload', async (t) => {
    const config = { endpoints: etcd.endpoints, prefix: prefix() };
    const stores: Store[] = [];
    const open = async () => {
      const s = await openEtcdStore(config);
      stores.push(s);
      return s;
    };
    t.after(async () => {
      for (const s of stores) await s.close();
    });
    const [a, b, watcher] = [await open(), await open(), await open()];
    const recorder = await WatchRecorder.start(watcher, 'kill/', (await watcher.list('kill/')).revision);
    t.after(() => recorder.close());

    const perWriter = 150;
    let done = 0;
    const work = async (store: Store, id: string) => {
      const got: number[] = [];
      for (let i = 0; i < perWriter; i++) {
        got.push((await updateJson<number>(store, 'kill/counter', (n) => (n ?? 0) + 1)).value);
        assert.ok(await store.create(`kill/${id}/${i}`, String(i)), `create kill/${id}/${i}`);
        done++;
      }
      return got;
    };
    const writers = [work(a, 'a'), work(b, 'b')];
    await waitUntil(() => done >= perWriter / 2, 'a quarter of the workload');
    const victim = await leader(etcd.members);
    await victim.kill('SIGKILL');
    t.after(async () => {
      if (!victim.running) await victim.restart();
    });
    const [gotA, gotB] = await Promise.all(writers);

    const total = 2 * perWriter;
    assert.equal((await a.get('kill/counter'))?.value, String(total), 'every increment counted once');
    const increments = [...gotA!, ...gotB!].sort((x, y) => x - y);
    assert.deepEqual(increments, Array.from({ length: total }, (_, i) => i + 1), 'each writer saw its own distinct increments');
    assert.equal((await a.list('kill/a/')).items.length, perWriter);
    assert.equal((await a.list('kill/b/')).items.length, perWriter);

    await waitUntil(() => recorder.state.get('kill/counter') === String(total), 'the watcher to see the last increment');
    await sleep(200);
    const counterValues = recorder.events.filter((e) => e.type === 'put' && e.kv.key === 'kill/counter')
      .map((e) => (e.type === 'put' ? Number(e.kv.value) : NaN));
    assert.deepEqual(counterValues, Array.from({ length: total }, (_, i) => i + 1), 'the watcher saw every value once, in order');
    assert.equal(recorder.events.length, 2 * total, 'and nothing else twice');
    assert.deepEqual(recorder.errors, []);
  });
});
