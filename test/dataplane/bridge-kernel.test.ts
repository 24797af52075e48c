// Local bridge networks on the real kernel: a bridge in lab host A's namespace, containers on it,
// and host B on the LAN as the "outside". Host B has no route to 172.17.0.0/16, so a reply from it
// proves the traffic was masqueraded to host A's LAN address.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BridgeDataplane, type BridgeNetworkSpec } from '../../src/dataplane/bridge.js';
import { macFromIp } from '../../src/dataplane/mac.js';
import { createNetns } from '../../src/dataplane/netns.js';
import { RecordingRunner } from '../../src/dataplane/runner.js';
import { Lab, dumpNs, exec, inNs, json, noReply, reaches, runPrefix, writes } from './kernel-lab.js';

const lab = new Lab(runPrefix());
const dp = new BridgeDataplane(exec);
const bridgeName = lab.name('br');
const net: BridgeNetworkSpec = {
  hostNs: lab.hostA,
  bridgeName,
  gatewayCidr: '172.17.0.1/16',
  subnet: '172.17.0.0/16',
  mtu: 1500,
  masquerade: true,
  internal: false,
};

const containers = [
  { ns: lab.name('c1'), ip: '172.17.0.2', hostIfName: lab.name('v1') },
  { ns: lab.name('c2'), ip: '172.17.0.3', hostIfName: lab.name('v2') },
];
const endpoint = (c: (typeof containers)[number]) => ({
  hostNs: lab.hostA,
  bridgeName,
  containerNs: c.ns,
  hostIfName: c.hostIfName,
  ifName: 'eth0',
  mac: macFromIp(c.ip),
  addressCidr: `${c.ip}/16`,
  gateway: '172.17.0.1',
  mtu: 1500,
  defaultRoute: true,
});
const [c1, c2] = containers as [(typeof containers)[number], (typeof containers)[number]];

/** The rules in host A, without counters or timestamps. */
const rules = async () =>
  (await exec.run(inNs(lab.hostA, ['iptables-save']))).stdout.split('\n').filter((l) => l.startsWith('-A '));
const weftRules = async () => (await rules()).filter((l) => l.includes(`weft:${bridgeName}`));
const sysctl = async (ns: string | undefined, key: string) =>
  (await exec.run(ns === undefined ? ['sysctl', '-n', key] : inNs(ns, ['sysctl', '-n', key]))).stdout.trim();

describe('bridge data plane on the kernel', () => {
  let rootForward = '';

  before(async () => {
    rootForward = await sysctl(undefined, 'net.ipv4.ip_forward');
    await lab.createHosts();
    for (const c of containers) await createNetns(exec, c.ns);
  });

  after(async () => {
    const left = await lab.destroy();
    assert.deepEqual(left, [], 'namespaces left behind');
    assert.equal(await sysctl(undefined, 'net.ipv4.ip_forward'), rootForward, 'the root namespace was touched');
  });

  it('a container on a masquerading bridge reaches a LAN address through NAT', async () => {
    await dp.ensureBridge(net);
    await dp.attach(endpoint(c1));
    assert.equal(await sysctl(lab.hostA, 'net.ipv4.ip_forward'), '1');
    assert.ok(
      (await rules()).includes(`-A POSTROUTING -s 172.17.0.0/16 ! -o ${bridgeName} -m comment --comment "weft:${bridgeName}" -j MASQUERADE`),
    );
    assert.ok(await reaches(c1.ns, lab.lanB));
  });

  it('applying the same desired state again changes nothing and writes nothing', async () => {
    const dump = async () => ({ host: await dumpNs(lab.hostA), container: await dumpNs(c1.ns), rules: await rules() });
    const before = await dump();
    const rec = new RecordingRunner(exec);
    const again = new BridgeDataplane(rec);
    await again.ensureBridge(net);
    await again.attach(endpoint(c1));
    assert.deepEqual(writes(rec.calls), []);
    assert.deepEqual(await dump(), before);
  });

  it('an internal network has no way out, but its containers reach each other and the gateway', async () => {
    // Give host B a route back, so that without the internal network's drops the plain routed
    // path works; the drops, not the missing NAT, must be what stops the traffic.
    await exec.run(['ip', '-n', lab.hostB, 'route', 'add', '172.17.0.0/16', 'via', lab.lanA]);
    await dp.ensureBridge({ ...net, masquerade: false });
    assert.equal((await weftRules()).some((r) => r.includes('MASQUERADE')), false);
    assert.ok(await reaches(c1.ns, lab.lanB));

    await dp.ensureBridge({ ...net, masquerade: false, internal: true });
    await dp.attach(endpoint(c2));
    assert.deepEqual((await weftRules()).map((r) => r.replace(/ -m comment .* -j /, ' -j ')), [
      `-A FORWARD -i ${bridgeName} ! -o ${bridgeName} -j DROP`,
      `-A FORWARD ! -i ${bridgeName} -o ${bridgeName} -j DROP`,
    ]);
    assert.ok(await noReply(c1.ns, lab.lanB));
    assert.ok(await reaches(c1.ns, '172.17.0.1'));
    assert.ok(await reaches(c1.ns, c2.ip));
  });

  it('detach and removeBridge remove the links and every rule, and are safe to repeat', async () => {
    for (const c of containers) {
      await dp.detach({ hostNs: lab.hostA, hostIfName: c.hostIfName });
      await dp.detach({ hostNs: lab.hostA, hostIfName: c.hostIfName });
    }
    await dp.ensureBridge(net); // back to masquerading, so removal has NAT rules to find too
    assert.ok((await weftRules()).length > 0);
    await dp.removeBridge({ hostNs: lab.hostA, bridgeName });
    await dp.removeBridge({ hostNs: lab.hostA, bridgeName });
    assert.deepEqual(await weftRules(), []);
    const links = (await json(['ip', '-n', lab.hostA, '-json', 'link', 'show'])) as { ifname: string }[];
    assert.deepEqual(links.map((l) => l.ifname).sort(), [lab.name('lan'), 'lo'].sort());
    for (const c of containers) {
      const inside = (await json(['ip', '-n', c.ns, '-json', 'link', 'show'])) as { ifname: string }[];
      assert.deepEqual(inside.map((l) => l.ifname), ['lo']);
    }
  });
});
