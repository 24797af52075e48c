// A cluster store that goes away and comes back mid-run, on a real etcd and a real ZooKeeper
// running on a lab machine of their own: weftd reconnects, its watches resume, leases come back
// (or the records held under a lost one are published again), nothing is lost or duplicated, and
// the walkthrough's containers still resolve and reach each other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startStoreServer, stopStoreServers } from '../../src/lab/index.js';
import { createTestLab } from '../helpers/lab.js';
import { docker, dockerOk } from '../helpers/docker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of ['etcd', 'zookeeper'] as const) {
  describe(`a ${kind} restart mid-run`, () => {
    it('keeps every endpoint exactly once, and mongo resolvable and reachable from host2', async () => {
      const lab = await createTestLab(`rs${kind.slice(0, 2)}`, { weftd: 'real' });
      try {
        await lab.createMachine('kv');
        const url = await startStoreServer(lab.labConfig, 'kv', kind);
        // A short lease, so an outage longer than it really loses the lease (a ZooKeeper
        // session expires; etcd may keep it across its own restart).
        await Promise.all(['host1', 'host2'].map((h) => lab.createMachine(h, { store: url, leaseTtl: 4 })));
        await dockerOk(lab, 'host1', ['network', 'create', '-d', 'overlay', 'appnet']);
        await dockerOk(lab, 'host1', ['run', '-d', '--name', 'mongo', '--net', 'appnet', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/']);
        await dockerOk(lab, 'host2', ['run', '-d', '--name', 'box', '--net', 'appnet', 'busybox', 'sleep', '1000']);
        const before = await docker(lab, 'host2', ['exec', 'box', 'ping', '-c', '1', '-W', '2', 'mongo']);
        assert.equal(before.code, 0, before.stdout + before.stderr);

        await stopStoreServers(lab.labConfig, 'kv', kind);
        await sleep(10_000); // longer than the lease
        await startStoreServer(lab.labConfig, 'kv', kind);

        let ping = { code: 1, stdout: '', stderr: '' };
        for (let i = 0; i < 40 && ping.code !== 0; i++) {
          ping = await docker(lab, 'host2', ['exec', 'box', 'ping', '-c', '1', '-W', '1', 'mongo']);
          if (ping.code !== 0) await sleep(500);
        }
        assert.equal(ping.code, 0, `mongo unreachable after the ${kind} restart: ${ping.stdout}${ping.stderr}`);
        assert.match(ping.stdout, /PING mongo \(10\.0\.0\.2\)/);

        for (const host of ['host1', 'host2']) {
          const names = (await dockerOk(lab, host, ['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'appnet'])).trim().split(' ').sort();
          assert.deepEqual(names, ['box', 'mongo'], `endpoints seen on ${host}`);
        }
        // Both daemons lived through it.
        for (const host of ['host1', 'host2']) await dockerOk(lab, host, ['version']);
        const log = readFileSync(`/var/lib/weft/labs/${lab.name}/machines/host1/weftd.log`, 'utf8');
        assert.doesNotMatch(log, /"level":60/, 'no fatal error in weftd');
        // ZooKeeper sessions cannot outlive the outage: the lease was lost and everything held
        // under it published again (the ping above proves the peers and names came back).
        if (kind === 'zookeeper') assert.match(log, /cluster lease lost; registering again/);
      } finally {
        await lab.remove();
      }
    });
  });
}
