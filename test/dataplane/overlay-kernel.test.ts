// The overlay data plane on the real kernel: two "hosts" (namespaces) on a veth LAN, each with an
// overlay sandbox and a container namespace. Proves the recipes in DESIGN.md end to end.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { macFromIp } from '../../src/dataplane/mac.js';
import { createNetns, listNetns } from '../../src/dataplane/netns.js';
import { OverlayDataplane, type OverlayNetworkSpec } from '../../src/dataplane/overlay.js';
import { RecordingRunner } from '../../src/dataplane/runner.js';
import { vethName } from '../../src/dataplane/veth.js';
import { Lab, dumpNs, exec, json, noReply, reaches, runPrefix, writes } from './kernel-lab.js';

const lab = new Lab(runPrefix());
const dp = new OverlayDataplane(exec);

interface Side {
  readonly net: OverlayNetworkSpec;
  readonly container: string;
  readonly ip: string;
  readonly hostIfName: string;
}

function overlay(tag: string, vni: number) {
  const side = (host: 'a' | 'b', ip: string): Side => ({
    net: {
      sandbox: lab.name(`sb${tag}${host}`),
      hostNs: host === 'a' ? lab.hostA : lab.hostB,
      vni,
      gatewayCidr: '10.0.0.1/24',
      mtu: 1450,
      vtepIp: host === 'a' ? lab.lanA : lab.lanB,
    },
    container: lab.name(`c${tag}${host}`),
    ip,
    hostIfName: vethName(`${tag}${host}-endpoint`),
  });
  return { a: side('a', '10.0.0.2'), b: side('b', '10.0.0.3') };
}

const net1 = overlay('1', 256);
const net2 = overlay('2', 257);
const peerOf = (s: Side) => ({ ip: s.ip, mac: macFromIp(s.ip), vtep: s.net.vtepIp });

async function bringUp(s: Side): Promise<void> {
  await createNetns(exec, s.container);
  await dp.ensureNetwork(s.net);
  await dp.attach(endpoint(s));
}

const endpoint = (s: Side) => ({
  sandbox: s.net.sandbox,
  containerNs: s.container,
  hostIfName: s.hostIfName,
  ifName: 'eth0',
  mac: macFromIp(s.ip),
  addressCidr: `${s.ip}/24`,
  gateway: '10.0.0.1',
  mtu: 1450,
  defaultRoute: true,
});

describe('overlay data plane on the kernel', () => {
  before(async () => {
    await lab.createHosts();
  });

  after(async () => {
    const left = await lab.destroy();
    assert.deepEqual(left, [], 'namespaces left behind');
  });

  it('without peer entries, ping fails both ways', async () => {
    await bringUp(net1.a);
    await bringUp(net1.b);
    assert.ok(await noReply(net1.a.container, net1.b.ip));
    assert.ok(await noReply(net1.b.container, net1.a.ip));
  });

  it('after setPeers on both sides, ping works both ways', async () => {
    await dp.setPeers(net1.a.net.sandbox, [peerOf(net1.b)]);
    await dp.setPeers(net1.b.net.sandbox, [peerOf(net1.a)]);
    assert.ok(await reaches(net1.a.container, net1.b.ip));
    assert.ok(await reaches(net1.b.container, net1.a.ip));
    // and the containers reach their gateway on br0
    assert.ok(await reaches(net1.a.container, '10.0.0.1'));
  });

  it('applying the same desired state again changes nothing and writes nothing', async () => {
    const namespaces = [net1.a.net.sandbox, net1.b.net.sandbox, net1.a.container, net1.b.container, lab.hostA, lab.hostB];
    const dump = async () => Promise.all(namespaces.map((ns) => dumpNs(ns, { vxlan: ns.includes('sb') })));
    const before = await dump();
    const rec = new RecordingRunner(exec);
    const again = new OverlayDataplane(rec);
    for (const s of [net1.a, net1.b]) {
      await again.ensureNetwork(s.net);
      await again.attach(endpoint(s));
    }
    await again.setPeers(net1.a.net.sandbox, [peerOf(net1.b)]);
    await again.setPeers(net1.b.net.sandbox, [peerOf(net1.a)]);
    assert.deepEqual(writes(rec.calls), []);
    assert.deepEqual(await dump(), before);
  });

  it('incremental peers: removePeers cuts the path, addPeers restores it, repeats are harmless', async () => {
    await dp.removePeers(net1.a.net.sandbox, [peerOf(net1.b)]);
    await dp.removePeers(net1.a.net.sandbox, [peerOf(net1.b)]);
    assert.ok(await noReply(net1.a.container, net1.b.ip));
    await dp.addPeers(net1.a.net.sandbox, [peerOf(net1.b)]);
    await dp.addPeers(net1.a.net.sandbox, [peerOf(net1.b)]);
    assert.ok(await reaches(net1.a.container, net1.b.ip));
  });

  it('the container MTU is 1450: 1422 bytes of ICMP payload pass with DF, 1423 do not', async () => {
    const links = (await json(['ip', '-n', net1.a.container, '-json', 'link', 'show', 'dev', 'eth0'])) as { mtu: number }[];
    assert.equal(links[0]?.mtu, 1450);
    assert.ok(await reaches(net1.a.container, net1.b.ip, ['-M', 'do', '-s', '1422']));
    assert.ok(await noReply(net1.a.container, net1.b.ip, ['-M', 'do', '-s', '1423']));
  });

  it('two VNIs with the same subnet and addresses on the same hosts stay isolated', async () => {
    await bringUp(net2.a);
    await bringUp(net2.b);
    await dp.setPeers(net2.a.net.sandbox, [peerOf(net2.b)]);
    await dp.setPeers(net2.b.net.sandbox, [peerOf(net2.a)]);
    assert.ok(await reaches(net2.a.container, net2.b.ip));
    assert.ok(await reaches(net1.a.container, net1.b.ip));
    // With network 1's 10.0.0.3 gone, network 1 must not reach network 2's 10.0.0.3, although
    // host A still sends to host B's VTEP and host B still has a 10.0.0.3 (on VNI 257).
    await dp.detach({ sandbox: net1.b.net.sandbox, hostIfName: net1.b.hostIfName });
    assert.ok(await noReply(net1.a.container, net1.b.ip));
    assert.ok(await reaches(net2.a.container, net2.b.ip));
  });

  it('detach and removeNetwork leave nothing behind, and are safe to repeat', async () => {
    for (const s of [net1.a, net1.b, net2.a, net2.b]) {
      await dp.detach({ sandbox: s.net.sandbox, hostIfName: s.hostIfName });
      await dp.detach({ sandbox: s.net.sandbox, hostIfName: s.hostIfName });
      const links = (await json(['ip', '-n', s.container, '-json', 'link', 'show'])) as { ifname: string }[];
      assert.deepEqual(links.map((l) => l.ifname), ['lo']);
      await dp.removeNetwork(s.net.sandbox);
      await dp.removeNetwork(s.net.sandbox);
      await dp.detach({ sandbox: s.net.sandbox, hostIfName: s.hostIfName });
      await dp.removePeers(s.net.sandbox, [peerOf(s)]);
    }
    const containers = [net1.a, net1.b, net2.a, net2.b].map((s) => s.container);
    assert.deepEqual(await listNetns(exec, lab.prefix), [...containers, lab.hostA, lab.hostB].sort());
    for (const host of [lab.hostA, lab.hostB]) {
      const links = (await json(['ip', '-n', host, '-json', 'link', 'show'])) as { ifname: string }[];
      assert.deepEqual(links.map((l) => l.ifname).sort(), [lab.name('lan'), 'lo'].sort());
    }
  });

  it('a removed network can be created again at once with the same VNI', async () => {
    await dp.ensureNetwork(net1.a.net);
    await dp.removeNetwork(net1.a.net.sandbox);
    await dp.ensureNetwork(net1.a.net);
    await dp.removeNetwork(net1.a.net.sandbox);
    assert.equal((await listNetns(exec, net1.a.net.sandbox)).length, 0);
  });

  it('a second sandbox for a VNI the host already has fails, and leaves no sandbox behind', async () => {
    await dp.ensureNetwork(net1.a.net);
    const dup = lab.name('dup');
    await assert.rejects(dp.ensureNetwork({ ...net1.a.net, sandbox: dup }), /link add vxlan0/);
    assert.deepEqual(await listNetns(exec, dup), []);
    await dp.removeNetwork(net1.a.net.sandbox);
  });

  it('a vxlan0 with different settings is recreated', async () => {
    await dp.ensureNetwork(net1.a.net);
    await dp.ensureNetwork({ ...net1.a.net, vni: 4242 });
    const links = (await json(['ip', '-n', net1.a.net.sandbox, '-d', '-json', 'link', 'show', 'dev', 'vxlan0'])) as {
      master?: string;
      linkinfo: { info_data: { id: number } };
    }[];
    assert.equal(links[0]?.linkinfo.info_data.id, 4242);
    assert.equal(links[0]?.master, 'br0');
    await dp.removeNetwork(net1.a.net.sandbox);
  });
});
