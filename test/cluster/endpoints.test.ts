// EndpointService over real SQLite stores: two store instances on one file act as two hosts,
// each with its own scopes, mirrors and EndpointService. Only the driver (the kernel side) and
// the observer (the DNS name table) are replaced, by recorders.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { EndpointService, type EndpointObserver, type JoinRequest } from '../../src/cluster/endpoints.js';
import { keys } from '../../src/cluster/keys.js';
import { NetworkService, newId } from '../../src/cluster/networks.js';
import { Scope } from '../../src/cluster/scope.js';
import type { EndpointRecord, NetworkDriverName, NetworkRecord } from '../../src/cluster/types.js';
import type { Attachment, Driver } from '../../src/drivers/driver.js';
import { WeftError } from '../../src/errors.js';
import { GLOBAL_DEFAULT_POOLS, Ipam, LOCAL_DEFAULT_POOLS } from '../../src/ipam/ipam.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { KeyValue, Lease, NewEntry, PutOptions, Store } from '../../src/store/store.js';
import { sleep, waitUntil } from '../store/helpers.js';

/** Long enough that a watch never polls during a test: that host's mirror stays stale. */
const STALE_POLL_MS = 600_000;
/** Lets work that was (wrongly) not awaited run, before asserting it has not happened. */
const SETTLE_MS = 50;

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

interface PeerUpdate {
  readonly network: NetworkRecord;
  readonly added: readonly EndpointRecord[];
  readonly removed: readonly EndpointRecord[];
}

/** Records what the cluster layer asks of a driver; `log` is shared with the host's observer. */
class FakeDriver implements Driver {
  readonly name: NetworkDriverName = 'overlay';
  readonly joins: Attachment[] = [];
  readonly leaves: Attachment[] = [];
  readonly peerUpdates: PeerUpdate[] = [];
  /** Runs inside join (after it is recorded): throw here to fail the join. */
  onJoin: ((a: Attachment, peers: () => Promise<readonly EndpointRecord[]>) => Promise<void>) | undefined;
  /** updatePeers waits for this before it resolves. */
  peersGate: Promise<void> | undefined;

  constructor(private readonly log: string[]) {}

  async join(a: Attachment, peers: () => Promise<readonly EndpointRecord[]>): Promise<void> {
    this.joins.push(a);
    this.log.push(`join:${a.endpoint.id}`);
    await this.onJoin?.(a, peers);
  }

  async leave(a: Attachment): Promise<void> {
    this.leaves.push(a);
    this.log.push(`leave:${a.endpoint.id}`);
  }

  async updatePeers(network: NetworkRecord, added: readonly EndpointRecord[], removed: readonly EndpointRecord[]): Promise<void> {
    this.peerUpdates.push({ network, added, removed });
    this.log.push(`peers:${added.map((e) => `+${e.id}`).join()}${removed.map((e) => `-${e.id}`).join()}`);
    await this.peersGate;
    this.log.push(`peers-done:${added.map((e) => `+${e.id}`).join()}${removed.map((e) => `-${e.id}`).join()}`);
  }
}

class RecordingObserver implements EndpointObserver {
  readonly ups: { ep: EndpointRecord; net: NetworkRecord }[] = [];
  readonly downs: EndpointRecord[] = [];
  readonly attachedCalls: { ep: EndpointRecord; net: NetworkRecord; took: { attachMs: number; publishMs: number } }[] = [];

  constructor(private readonly log: string[]) {}

  endpointUp(ep: EndpointRecord, net: NetworkRecord): void {
    this.ups.push({ ep, net });
    this.log.push(`up:${ep.id}`);
  }

  endpointDown(ep: EndpointRecord): void {
    this.downs.push(ep);
    this.log.push(`down:${ep.id}`);
  }

  attached(ep: EndpointRecord, net: NetworkRecord, took: { attachMs: number; publishMs: number }): void {
    this.attachedCalls.push({ ep, net, took });
  }
}

interface CreateAllCall {
  readonly entries: readonly NewEntry[];
  readonly opts: PutOptions | undefined;
}

interface Host {
  readonly name: string;
  readonly vtep: string;
  /** This host's connection to the shared cluster store (the global scope). */
  readonly store: Store;
  readonly localStore: Store;
  readonly lease: Lease;
  readonly global: Scope;
  readonly local: Scope;
  readonly networks: NetworkService;
  readonly endpoints: EndpointService;
  readonly driver: FakeDriver;
  readonly observer: RecordingObserver;
  /** Driver and observer calls in order. */
  readonly log: string[];
  /** What EndpointService handed to its onError. */
  readonly errors: string[];
  /** Every createAll this host made on the cluster store (the store itself is real). */
  readonly createAllCalls: CreateAllCall[];
}

class Cluster {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'weft-endpoints-'));
  private readonly hosts: Host[] = [];
  private count = 0;

  /** A weftd-like host on the shared cluster file, wired as src/daemon/daemon.ts wires it. */
  async host(opts: { pollMs?: number } = {}): Promise<Host> {
    const n = ++this.count;
    const name = `host-${n}`;
    const vtep = `198.18.0.${10 + n}`;
    const store = await openSqliteStore(path.join(this.dir, 'cluster.db'), { pollMs: opts.pollMs ?? 5 });
    const localStore = await openSqliteStore(path.join(this.dir, `local-${n}.db`), { pollMs: 5 });
    const createAllCalls: CreateAllCall[] = [];
    const realCreateAll = store.createAll.bind(store);
    store.createAll = (entries: readonly NewEntry[], o?: PutOptions): Promise<KeyValue[] | undefined> => {
      createAllCalls.push({ entries, opts: o });
      return realCreateAll(entries, o);
    };
    const lease = await store.grantLease(60);
    const localLease = await localStore.grantLease(60);
    const errors: string[] = [];
    const onWatchError = (err: Error) => errors.push(`watch: ${err.message}`);
    const global = new Scope('global', store, new Ipam(store, { defaultPools: GLOBAL_DEFAULT_POOLS }), () => lease, onWatchError);
    const local = new Scope('local', localStore, new Ipam(localStore, { defaultPools: LOCAL_DEFAULT_POOLS }), () => localLease, onWatchError);
    await global.start();
    await local.start();
    const networks = new NetworkService({ global, local });
    const log: string[] = [];
    const driver = new FakeDriver(log);
    const observer = new RecordingObserver(log);
    const endpoints = new EndpointService(
      networks,
      new Map<NetworkDriverName, Driver>([['overlay', driver]]),
      { name, vtep },
      observer,
      (err, what) => errors.push(`${what}: ${err.message}`),
    );
    const host: Host = {
      name, vtep, store, localStore, lease, global, local, networks, endpoints, driver, observer, log, errors, createAllCalls,
    };
    this.hosts.push(host);
    return host;
  }

  async close(): Promise<void> {
    for (const h of this.hosts.splice(0)) {
      h.endpoints.stop();
      await h.global.close();
      await h.local.close();
      await h.store.close();
      await h.localStore.close();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function overlayNetwork(host: Host, name: string): Promise<NetworkRecord> {
  return host.networks.create({
    name,
    driver: 'overlay',
    internal: false,
    attachable: true,
    ingress: false,
    enableIPv6: false,
    ipam: { driver: 'default', options: {}, config: [] },
    options: {},
    labels: {},
  });
}

/** Make sure a host's network mirror holds the network (as it would once its watch delivered). */
async function learnNetwork(host: Host, net: NetworkRecord): Promise<void> {
  await host.networks.get(net.id);
  assert.ok(host.global.networks.get(keys.network(net.id)), `${host.name} knows network ${net.name}`);
}

function request(name: string, extra: Partial<JoinRequest> = {}): JoinRequest {
  return {
    containerId: newId(),
    name,
    aliases: [],
    containerNs: `wtest-${name}`,
    ifName: 'eth0',
    defaultRoute: true,
    freshNamespace: true,
    ...extra,
  };
}

const ipOf = (ep: EndpointRecord) => ep.ipv4.split('/')[0]!;
const addressKey = (networkId: string, ip: string) => `ipam/addr/${networkId}/${ip}`;

/** The three keys a join writes, as the store holds them now. */
async function storedKeys(store: Store, ep: EndpointRecord) {
  return {
    record: await store.get(keys.endpoint(ep.networkId, ep.id)),
    name: await store.get(keys.endpointName(ep.networkId, ep.name)),
    address: await store.get(addressKey(ep.networkId, ipOf(ep))),
  };
}

describe('EndpointService', () => {
  let cluster: Cluster;
  beforeEach(() => {
    cluster = new Cluster();
  });
  afterEach(async () => {
    await cluster.close();
  });

  it('reserves name and address and publishes the record in one createAll under the lease, before the driver joins', async () => {
    const a = await cluster.host();
    const net = await overlayNetwork(a, 'front');
    let seenInJoin: Awaited<ReturnType<typeof storedKeys>> | undefined;
    let createAllsInJoin: CreateAllCall[] = [];
    a.createAllCalls.length = 0;
    a.driver.onJoin = async (att) => {
      seenInJoin = await storedKeys(a.store, att.endpoint);
      createAllsInJoin = [...a.createAllCalls];
    };

    const ep = await a.endpoints.join(net, request('web'));

    assert.equal(ep.ipv4, '10.0.0.2/24', 'the lowest free address of a fresh default pool');
    assert.equal(ep.mac, '02:42:0a:00:00:02', 'the MAC follows from the address');
    assert.equal(ep.networkId, net.id);
    assert.equal(ep.name, 'web');
    assert.equal(ep.host, a.name);
    assert.equal(ep.vtep, a.vtep);
    assert.equal(a.driver.joins.length, 1);
    assert.deepEqual(a.driver.joins[0]!.endpoint, ep);

    // What the driver saw while it was joining: everything already in the store, under the lease.
    assert.ok(seenInJoin, 'the driver joined');
    assert.ok(seenInJoin.record, 'the endpoint record is published before the driver joins');
    assert.deepEqual(JSON.parse(seenInJoin.record.value), ep);
    assert.ok(seenInJoin.name, 'the name key is reserved before the driver joins');
    assert.equal(seenInJoin.name.value, ep.id);
    assert.ok(seenInJoin.address, 'the address key is reserved before the driver joins');
    assert.equal((JSON.parse(seenInJoin.address.value) as { owner: string }).owner, ep.id);
    for (const kv of [seenInJoin.record, seenInJoin.name, seenInJoin.address]) {
      assert.equal(kv.lease, a.lease.id, `${kv.key} is held under the host's lease`);
    }

    // ...written by exactly one createAll carrying all three keys and the lease.
    assert.equal(createAllsInJoin.length, 1, 'one transaction before the driver joined');
    const [call] = createAllsInJoin;
    assert.deepEqual(
      call!.entries.map((e) => e.key).sort(),
      [keys.endpoint(net.id, ep.id), keys.endpointName(net.id, 'web'), addressKey(net.id, '10.0.0.2')].sort(),
    );
    assert.equal(call!.opts?.lease, a.lease);
    assert.deepEqual(a.errors, []);
  });

  it('gives each join the lowest free address, a released one first', async () => {
    const a = await cluster.host();
    const net = await overlayNetwork(a, 'front');
    const one = await a.endpoints.join(net, request('one'));
    const two = await a.endpoints.join(net, request('two'));
    assert.deepEqual([one.ipv4, two.ipv4], ['10.0.0.2/24', '10.0.0.3/24']);
    assert.equal(two.mac, '02:42:0a:00:00:03');
    await a.endpoints.leave(one);
    const three = await a.endpoints.join(net, request('three'));
    assert.equal(three.ipv4, '10.0.0.2/24');
    const four = await a.endpoints.join(net, request('four'));
    assert.equal(four.ipv4, '10.0.0.4/24');
  });

  it("hands the driver peers() that reads the network's remote endpoints at call time", async () => {
    // Host A never polls: its endpoint mirror cannot learn of B's endpoints by its watch.
    const a = await cluster.host({ pollMs: STALE_POLL_MS });
    const b = await cluster.host();
    const net = await overlayNetwork(a, 'front');
    const other = await overlayNetwork(a, 'back');
    const b1 = await b.endpoints.join(net, request('b1'));
    await b.endpoints.join(other, request('b-other'));
    const a1 = await a.endpoints.join(net, request('a1'));
    assert.equal(a.global.endpoints.get(keys.endpoint(net.id, b1.id)), undefined, "A's mirror is stale (test setup)");

    let peersType = '';
    let peersSeen: readonly EndpointRecord[] | undefined;
    a.driver.onJoin = async (_att, peers) => {
      peersType = typeof peers;
      peersSeen = await peers();
    };
    const a2 = await a.endpoints.join(net, request('a2'));

    assert.equal(peersType, 'function');
    assert.ok(peersSeen);
    assert.deepEqual(peersSeen, [b1], "only other hosts' endpoints of this network");
    assert.ok(![a1.id, a2.id].some((id) => peersSeen!.some((p) => p.id === id)));

    // Called again later, it reads again: B's next endpoint is there, a departed one is not.
    const b3 = await b.endpoints.join(net, request('b3'));
    await b.endpoints.leave(b1);
    const again = await callPeersOf(a, net, 'a3');
    assert.deepEqual(again.map((e) => e.id), [b3.id]);
  });

  it('rolls a failed driver join back: rejects with its error, leaves, and frees name, address and record', async () => {
    const a = await cluster.host();
    const net = await overlayNetwork(a, 'front');
    const boom = new Error('driver exploded');
    let failed: EndpointRecord | undefined;
    a.driver.onJoin = async (att) => {
      failed = att.endpoint;
      throw boom;
    };

    await assert.rejects(a.endpoints.join(net, request('web')), (err) => err === boom);

    assert.ok(failed);
    assert.deepEqual(await storedKeys(a.store, failed), { record: undefined, name: undefined, address: undefined });
    assert.deepEqual((await a.store.list(keys.networkEndpoints(net.id))).items, []);
    assert.deepEqual((await a.store.list(`ipam/addr/${net.id}/`)).items, []);
    assert.deepEqual((await a.store.list(`endpoint-names/${net.id}/`)).items, []);
    assert.deepEqual(a.driver.leaves.map((l) => l.endpoint.id), [failed.id], "the driver's leave undid its half-done join");
    assert.equal(a.global.endpoints.get(keys.endpoint(net.id, failed.id)), undefined, 'the mirror forgot it too');
    assert.deepEqual(a.endpoints.localEndpoints(failed.containerId), []);

    // Nothing leaked: the same name and the same address are free for the next join.
    a.driver.onJoin = undefined;
    const ok = await a.endpoints.join(net, request('web'));
    assert.equal(ok.ipv4, '10.0.0.2/24');
    assert.deepEqual(a.errors, []);
  });

  const nameClashes = [
    { what: 'fresh mirror', stale: false, sameIp: false },
    { what: 'stale mirror', stale: true, sameIp: false },
    { what: 'asking for the same --ip too', stale: false, sameIp: true },
  ];
  for (const variant of nameClashes) {
    it(`refuses a container name another host already uses on the network (${variant.what}), creating nothing`, async () => {
      const a = await cluster.host();
      const b = await cluster.host({ pollMs: variant.stale ? STALE_POLL_MS : 5 });
      const net = await overlayNetwork(a, 'front');
      const first = await a.endpoints.join(net, request('web'));
      if (variant.stale) {
        assert.equal(b.global.endpoints.get(keys.endpoint(net.id, first.id)), undefined, "B's mirror is stale (test setup)");
      } else {
        await waitUntil(() => b.global.endpoints.get(keys.endpoint(net.id, first.id)) !== undefined, "B's mirror has A's endpoint");
      }
      const before = await a.store.list('');

      const second = request('web', variant.sameIp ? { preferredIp: ipOf(first) } : {});
      await assert.rejects(b.endpoints.join(net, second), (err) => {
        assert.ok(err instanceof WeftError, `a WeftError, got ${String(err)}`);
        assert.equal(err.message, `endpoint with name web already exists in network ${net.name}`);
        return true;
      });

      assert.deepEqual(b.driver.joins, [], 'the driver was never asked');
      const after = await a.store.list('');
      assert.deepEqual(after.items, before.items, 'the store is as it was');
      assert.deepEqual(b.errors, []);
    });
  }

  it('gives joins racing from two hosts (one at a time on each, one mirror stale) distinct addresses', async () => {
    const a = await cluster.host();
    const b = await cluster.host({ pollMs: STALE_POLL_MS });
    const net = await overlayNetwork(a, 'front');
    const oneAtATime = async (h: Host, prefix: string) => {
      const out: EndpointRecord[] = [];
      for (let i = 0; i < 10; i++) out.push(await h.endpoints.join(net, request(`${prefix}${i}`)));
      return out;
    };
    const [fromA, fromB] = await Promise.all([oneAtATime(a, 'a'), oneAtATime(b, 'b')]);
    await assertDistinctClaims(a.store, net, [...fromA!, ...fromB!], 20);
  });

  it(
    'never gives 20 concurrent joins from two hosts the same address, and all of them succeed',
    async () => {
      const a = await cluster.host();
      const b = await cluster.host();
      const net = await overlayNetwork(a, 'front');
      await learnNetwork(b, net);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).endpoints.join(net, request(`c${i}`))),
      );
      const eps = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      // Safety first: whatever succeeded holds an address of its own.
      await assertDistinctClaims(a.store, net, eps, eps.length);
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
      assert.deepEqual(failures, [], 'every join succeeds');
      assert.equal(eps.length, 20);
    },
  );

  it('programs a remote endpoint into the driver before its name goes up, and takes the name down before the peer', async () => {
    const a = await cluster.host();
    const b = await cluster.host();
    const net = await overlayNetwork(a, 'front');
    await learnNetwork(b, net);
    b.endpoints.start();
    const gate = deferred();
    b.driver.peersGate = gate.promise;

    const ep = await a.endpoints.join(net, request('web'));
    await waitUntil(() => b.driver.peerUpdates.some((u) => u.added.some((e) => e.id === ep.id)), "B's updatePeers for A's endpoint");
    const add = b.driver.peerUpdates.find((u) => u.added.some((e) => e.id === ep.id))!;
    assert.equal(add.network.id, net.id);
    assert.deepEqual(add.added, [ep]);
    assert.deepEqual(add.removed, []);
    await sleep(SETTLE_MS);
    assert.ok(!b.observer.ups.some((u) => u.ep.id === ep.id), 'the name waits for the peer entries');

    gate.resolve();
    await waitUntil(() => b.observer.ups.some((u) => u.ep.id === ep.id), "B's endpointUp for A's endpoint");
    const up = b.observer.ups.find((u) => u.ep.id === ep.id)!;
    assert.deepEqual(up.ep, ep);
    assert.equal(up.net.id, net.id);
    assert.ok(b.log.indexOf(`peers-done:+${ep.id}`) < b.log.indexOf(`up:${ep.id}`));

    await a.endpoints.leave(ep);
    await waitUntil(() => b.driver.peerUpdates.some((u) => u.removed.some((e) => e.id === ep.id)), "B's updatePeers removing A's endpoint");
    const remove = b.driver.peerUpdates.find((u) => u.removed.some((e) => e.id === ep.id))!;
    assert.equal(remove.network.id, net.id);
    assert.deepEqual(remove.added, []);
    assert.deepEqual(remove.removed, [ep]);
    assert.deepEqual(b.observer.downs, [ep]);
    const down = b.log.indexOf(`down:${ep.id}`);
    const peerRemoval = b.log.indexOf(`peers:-${ep.id}`);
    assert.ok(down >= 0 && down < peerRemoval, `endpointDown before the peer removal: ${b.log.join(' ')}`);
    assert.deepEqual(b.errors, []);
  });

  it("puts this host's own endpoint up at once, without updatePeers", async () => {
    const a = await cluster.host();
    const net = await overlayNetwork(a, 'front');
    a.endpoints.start();

    const ep = await a.endpoints.join(net, request('web'));
    const ups = a.observer.ups.filter((u) => u.ep.id === ep.id);
    assert.equal(ups.length, 1, 'up by the time join returns');
    assert.deepEqual(ups[0]!.ep, ep);
    assert.equal(ups[0]!.net.id, net.id);
    assert.deepEqual(a.driver.peerUpdates, [], 'no peer entries for a local endpoint');

    // The watch bringing our own write back changes nothing.
    await sleep(SETTLE_MS);
    assert.equal(a.observer.ups.filter((u) => u.ep.id === ep.id).length, 1);
    assert.deepEqual(a.driver.peerUpdates, []);
    assert.deepEqual(a.errors, []);
  });

  it('leave removes the record, the address and the name, and unplugs the endpoint', async () => {
    const a = await cluster.host();
    const b = await cluster.host();
    const net = await overlayNetwork(a, 'front');
    const ep = await a.endpoints.join(net, request('web'));
    const kept = await a.endpoints.join(net, request('kept'));
    const present = await storedKeys(a.store, ep);
    assert.ok(present.record && present.name && present.address, 'all three keys exist before the leave');

    await a.endpoints.leave(ep);

    assert.deepEqual(await storedKeys(a.store, ep), { record: undefined, name: undefined, address: undefined });
    assert.deepEqual(a.driver.leaves.map((l) => l.endpoint.id), [ep.id]);
    assert.deepEqual(a.endpoints.localEndpoints(ep.containerId), []);
    const rest = await storedKeys(a.store, kept);
    assert.ok(rest.record && rest.name && rest.address, "another endpoint's keys are untouched");

    // The name is free again, for any host.
    const again = await b.endpoints.join(net, request('web'));
    assert.equal(again.name, 'web');
    // Safe to repeat.
    await a.endpoints.leave(ep);
    assert.ok((await storedKeys(a.store, again)).name, "a repeated leave does not take the new owner's name");
  });

  it('tells the observer attached() once per successful join, with finite attach and publish times ≥ 0', async () => {
    const a = await cluster.host();
    const net = await overlayNetwork(a, 'front');
    const one = await a.endpoints.join(net, request('one'));
    a.driver.onJoin = async () => {
      throw new Error('no');
    };
    await assert.rejects(a.endpoints.join(net, request('broken')), /no/);
    a.driver.onJoin = undefined;
    const two = await a.endpoints.join(net, request('two'));

    assert.deepEqual(a.observer.attachedCalls.map((c) => c.ep), [one, two]);
    for (const c of a.observer.attachedCalls) {
      assert.equal(c.net.id, net.id);
      for (const ms of [c.took.attachMs, c.took.publishMs]) assert.ok(Number.isFinite(ms) && ms >= 0, `ms is ${ms}`);
    }
  });
});

/** Join one more endpoint on A and return what its driver's peers() gave. */
async function callPeersOf(a: Host, net: NetworkRecord, name: string): Promise<readonly EndpointRecord[]> {
  let seen: readonly EndpointRecord[] = [];
  a.driver.onJoin = async (_att, peers) => {
    seen = await peers();
  };
  await a.endpoints.join(net, request(name));
  return seen;
}

/** Each endpoint has its own address, in the pool, and the store holds exactly those claims. */
async function assertDistinctClaims(store: Store, net: NetworkRecord, eps: readonly EndpointRecord[], expected: number): Promise<void> {
  assert.equal(eps.length, expected);
  const ips = eps.map(ipOf);
  assert.equal(new Set(ips).size, ips.length, `distinct addresses: ${ips.join(' ')}`);
  for (const ip of ips) assert.match(ip, /^10\.0\.0\.\d+$/);
  const claims = (await store.list(`ipam/addr/${net.id}/`)).items;
  assert.equal(claims.length, expected, 'one address key per endpoint');
  for (const ep of eps) {
    const claim = claims.find((kv) => kv.key === addressKey(net.id, ipOf(ep)));
    assert.ok(claim, `${ep.name}'s address is claimed`);
    assert.equal((JSON.parse(claim.value) as { owner: string }).owner, ep.id);
  }
}
