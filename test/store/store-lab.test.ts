// `weft store start --machine kv etcd|zookeeper` in a real lab: the server runs inside the lab
// machine, listens on its LAN address, prints only its URL, is reachable from the other lab
// hosts (which run weftd on it: an overlay network created on one is seen on the other), and
// is stopped by `weft machine rm` / the lab's removal, leaving nothing behind.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../../src/lab/index.js';
import { isRunning } from '../../src/lab/processes.js';
import { readState } from '../../src/lab/state.js';
import { dockerOk } from '../helpers/docker.js';
import { createTestLab, type TestLab } from '../helpers/lab.js';
import { weft } from '../lab/cli.js';

const cli = () => path.join(repoRoot(), 'dist', 'test', 'store', 'fixtures', 'weft-store.js');

/** A store client in another lab host: create a key through the URL and read it back. */
async function roundTrip(lab: TestLab, host: string, url: string): Promise<string> {
  const stores = path.join(repoRoot(), 'dist', 'src', 'daemon', 'stores.js');
  const script = `const { openClusterStore } = await import(${JSON.stringify(stores)});
    const s = await openClusterStore(${JSON.stringify(`${url}/roundtrip`)}, { giveUpAfterMs: 10000 });
    await s.create('from/${host}', 'hello');
    process.stdout.write((await s.get('from/${host}')).value);
    await s.close();`;
  const r = await lab.exec(host, [process.execPath, '--input-type=module', '-e', script], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe('cluster store servers in lab machines', () => {
  let lab: TestLab;
  before(async () => {
    lab = await createTestLab('store', { weftd: 'real' });
    await lab.createMachine('kv');
  });
  after(async () => {
    await lab?.remove();
  });

  for (const kind of ['etcd', 'zookeeper'] as const) {
    it(`starts ${kind} in the machine and prints only the URL for cluster-store`, async () => {
      const r = await weft(lab, ['store', 'start', '--machine', 'kv', kind], cli());
      assert.equal(r.code, 0, r.stderr);
      const scheme = kind === 'etcd' ? 'etcd' : 'zk';
      const port = kind === 'etcd' ? 2379 : 2181;
      assert.equal(r.stdout, `${scheme}://${lab.ip('kv')}:${port}\n`, 'stdout is the URL and nothing else');
      const again = await weft(lab, ['store', 'start', '--machine', 'kv', kind], cli());
      assert.equal(again.stdout, r.stdout, 'starting it again gives the running one');
    });
  }

  it('serves the other lab hosts over the LAN', async () => {
    await lab.createMachine('client');
    for (const s of Object.values(readState(lab.labConfig)!.machines.kv!.stores!)) {
      assert.equal(await roundTrip(lab, 'client', s.url), 'hello', `${s.kind} answers at ${s.url}`);
    }
    const ls = await weft(lab, ['store', 'ls'], cli());
    const ip = lab.ip('kv').replace(/\./g, '\\.');
    assert.match(ls.stdout, new RegExp(`kv\\s+etcd\\s+etcd://${ip}:2379\\s+\\d+\\s+running`));
    assert.match(ls.stdout, new RegExp(`kv\\s+zookeeper\\s+zk://${ip}:2181\\s+\\d+\\s+running`));
  });

  for (const kind of ['etcd', 'zookeeper'] as const) {
    it(`carries an overlay network from one weftd to another through ${kind}`, async () => {
      const url = readState(lab.labConfig)!.machines.kv!.stores![kind]!.url;
      const [a, b] = [`${kind.slice(0, 2)}a`, `${kind.slice(0, 2)}b`];
      await Promise.all([a, b].map((h) => lab.createMachine(h, { store: `${url}/${kind}test`, leaseTtl: 10 })));
      const id = (await dockerOk(lab, a, ['network', 'create', '-d', 'overlay', 'appnet'])).trim();
      const seen = (await dockerOk(lab, b, ['network', 'inspect', '--format', '{{.Id}} {{.Driver}}', 'appnet'])).trim();
      assert.equal(seen, `${id} overlay`);
    });
  }

  it('stops the servers when their machine is removed', async () => {
    const servers = Object.values(readState(lab.labConfig)!.machines.kv!.stores!);
    assert.equal(servers.length, 2);
    assert.ok(servers.every((s) => isRunning(s.process)));
    const r = await weft(lab, ['machine', 'rm', 'kv'], cli());
    assert.equal(r.code, 0, r.stderr);
    for (const s of servers) assert.equal(isRunning(s.process), false, `${s.kind} (pid ${s.process.pid}) stopped`);
  });
});
