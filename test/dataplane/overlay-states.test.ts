// OverlayDataplane against a scripted kernel: for each kernel state and desired state, the exact
// commands, compared as text (tailscale's TestRouterStates). The real-kernel test proves the
// commands work; this one pins down which commands are issued, and that a match issues none.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isWeftError } from '../../src/errors.js';
import { macFromIp } from '../../src/dataplane/mac.js';
import { OverlayDataplane, type OverlayEndpointSpec, type OverlayNetworkSpec } from '../../src/dataplane/overlay.js';
import { RecordingRunner } from '../../src/dataplane/runner.js';
import { type Replies, json, link, lo, noDevice, noNetns, scripted, vxlanData } from './fake-kernel.js';

const net: OverlayNetworkSpec = { sandbox: 'sb', hostNs: 'host', vni: 256, gatewayCidr: '10.0.0.1/24', mtu: 1450, vtepIp: '198.18.1.1' };
const READ_SB = 'ip -n sb -json -d addr show';

const br0 = link({ ifindex: 3, ifname: 'br0', kind: 'bridge', mtu: 1450, addrs: ['10.0.0.1/24'] });
const vxlan0 = link({ ifindex: 2, ifname: 'vxlan0', kind: 'vxlan', mtu: 1450, master: 'br0', info_data: vxlanData(256, '198.18.1.1') });

async function commands(replies: Replies, act: (dp: OverlayDataplane) => Promise<void>): Promise<string> {
  const rec = new RecordingRunner(scripted(replies));
  await act(new OverlayDataplane(rec));
  return rec.text();
}

describe('OverlayDataplane.ensureNetwork', () => {
  it('creates the sandbox, vxlan0 in place from the host namespace, then br0', async () => {
    const text = await commands({ [READ_SB]: noNetns('sb') }, (dp) => dp.ensureNetwork(net));
    assert.equal(
      text,
      `ip -n sb -json -d addr show
ip -force -batch -
  netns add sb
  netns exec sb sysctl -qew net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0
ip -n host -force -batch -
  link add vxlan0 netns sb mtu 1450 type vxlan id 256 dstport 4789 local 198.18.1.1 nolearning proxy l2miss l3miss
ip -n sb -force -batch -
  link set lo up
  link add br0 mtu 1450 type bridge
  addr add 10.0.0.1/24 dev br0
  link set br0 up
  link set vxlan0 master br0 up
`,
    );
  });

  it('without hostNs creates vxlan0 from its own namespace', async () => {
    const text = await commands({ [READ_SB]: noNetns('sb') }, (dp) => dp.ensureNetwork({ ...net, hostNs: undefined, dstPort: 4790 }));
    assert.match(text, /^ip -force -batch -\n {2}link add vxlan0 netns sb mtu 1450 type vxlan id 256 dstport 4790 /m);
  });

  it('issues nothing but the read when the sandbox already matches', async () => {
    const text = await commands({ [READ_SB]: json([lo, vxlan0, br0]) }, (dp) => dp.ensureNetwork(net));
    assert.equal(text, `${READ_SB}\n`);
  });

  it('recreates vxlan0 whose settings differ, and fixes br0 in place', async () => {
    const staleVxlan = link({ ifindex: 2, ifname: 'vxlan0', kind: 'vxlan', mtu: 1450, master: 'br0', info_data: vxlanData(999, '198.18.1.1') });
    const staleBr = link({ ifindex: 3, ifname: 'br0', kind: 'bridge', mtu: 1500, up: false, addrs: ['10.9.0.1/24'] });
    const text = await commands({ [READ_SB]: json([lo, staleVxlan, staleBr]) }, (dp) => dp.ensureNetwork(net));
    assert.equal(
      text,
      `${READ_SB}
ip -n sb -force -batch -
  link del vxlan0
ip -n host -force -batch -
  link add vxlan0 netns sb mtu 1450 type vxlan id 256 dstport 4789 local 198.18.1.1 nolearning proxy l2miss l3miss
ip -n sb -force -batch -
  link set br0 mtu 1450
  addr del 10.9.0.1/24 dev br0
  addr add 10.0.0.1/24 dev br0
  link set br0 up
  link set vxlan0 master br0 up
`,
    );
  });

  it('takes a sandbox it made away again when a later step fails', async () => {
    const replies = {
      [READ_SB]: noNetns('sb'),
      'ip -n host -force -batch -': { code: 2, stderr: 'RTNETLINK answers: File exists\n' },
      'ip -n sb -json link show': json([lo]),
    };
    const rec = new RecordingRunner(scripted(replies));
    await assert.rejects(new OverlayDataplane(rec).ensureNetwork(net), /File exists/);
    assert.match(rec.text(), /\n {2}link add vxlan0 [^\n]*\nip -n sb -json link show\nip netns del sb\n$/);
  });

  it('rejects a name that would inject batch commands, before running anything', async () => {
    const rec = new RecordingRunner();
    await assert.rejects(new OverlayDataplane(rec).ensureNetwork({ ...net, sandbox: 'sb\nlink del eth0' }), (e) => isWeftError(e, 'invalid'));
    assert.deepEqual(rec.calls, []);
  });
});

describe('OverlayDataplane.removeNetwork', () => {
  it('deletes vxlan0 first, then the other links, then the namespace', async () => {
    const veth = link({ ifindex: 4, ifname: 'veth12345678', kind: 'veth', master: 'br0' });
    const text = await commands({ 'ip -n sb -json link show': json([lo, br0, vxlan0, veth]) }, (dp) => dp.removeNetwork('sb'));
    assert.equal(
      text,
      `ip -n sb -json link show
ip -n sb -force -batch -
  link del vxlan0
  link del br0
  link del veth12345678
ip netns del sb
`,
    );
  });

  it('is a single read when the sandbox is gone', async () => {
    const text = await commands({ 'ip -n sb -json link show': noNetns('sb') }, (dp) => dp.removeNetwork('sb'));
    assert.equal(text, 'ip -n sb -json link show\n');
  });
});

describe('OverlayDataplane.attach and detach', () => {
  const ep: OverlayEndpointSpec = {
    sandbox: 'sb',
    containerNs: 'c1',
    hostIfName: 'vethabcdef01',
    ifName: 'eth0',
    mac: macFromIp('10.0.0.2'),
    addressCidr: '10.0.0.2/24',
    gateway: '10.0.0.1',
    mtu: 1450,
    defaultRoute: true,
  };
  const READ_HOST_END = 'ip -n sb -json -d addr show dev vethabcdef01';
  const READ_CONTAINER = 'ip -n c1 -d -json -batch -';

  it('creates the veth with both ends placed, then configures the container end', async () => {
    const text = await commands({ [READ_HOST_END]: noDevice('vethabcdef01'), [READ_CONTAINER]: json([lo], []) }, (dp) => dp.attach(ep));
    assert.equal(
      text,
      `${READ_HOST_END}
${READ_CONTAINER}
  addr show
  route show default
ip -n sb -force -batch -
  link add vethabcdef01 mtu 1450 type veth peer name eth0 address 02:42:0a:00:00:02 mtu 1450 netns c1
  link set vethabcdef01 master br0 up
ip -n c1 -force -batch -
  addr add 10.0.0.2/24 dev eth0
  link set eth0 up
  route replace default via 10.0.0.1 dev eth0
`,
    );
  });

  it('in a fresh namespace, reads nothing and writes in one process, which runs the container\'s lines from a file', async () => {
    let file = '';
    let held = '';
    const rec = new RecordingRunner((call) => {
      file = /ip -force -batch (\S+)$/m.exec(call.input ?? '')?.[1] ?? '';
      held = existsSync(file) ? readFileSync(file, 'utf8') : '(no file)';
      return undefined;
    });
    await new OverlayDataplane(rec).attach({ ...ep, fresh: true });
    assert.match(file, /weft-ip-\d+-\d+\.batch$/);
    assert.equal(
      rec.text().replaceAll(file, '<file>'),
      `ip -n sb -force -batch -
  link add vethabcdef01 mtu 1450 type veth peer name eth0 address 02:42:0a:00:00:02 mtu 1450 netns c1
  link set vethabcdef01 master br0 up
  netns exec c1 ip -force -batch <file>
`,
    );
    assert.equal(
      held,
      `link set lo up
addr add 10.0.0.2/24 dev eth0
link set eth0 up
route replace default via 10.0.0.1 dev eth0
`,
    );
    assert.equal(existsSync(file), false, 'the file is removed afterwards');
  });

  it('deletes a pair it made when configuring the container end fails', async () => {
    const replies = {
      [READ_HOST_END]: noDevice('vethabcdef01'),
      [READ_CONTAINER]: json([lo], []),
      'ip -n c1 -force -batch -': { code: 1, stderr: 'Error: Nexthop has invalid gateway.\nCommand failed -:3\n' },
    };
    const rec = new RecordingRunner(scripted(replies));
    await assert.rejects(new OverlayDataplane(rec).attach(ep), /route replace default via 10\.0\.0\.1 dev eth0/);
    assert.match(rec.text(), /\nip -n sb link del vethabcdef01\n$/);
  });

  const hostEnd = link({ ifindex: 7, link_index: 2, ifname: 'vethabcdef01', kind: 'veth', mtu: 1450, master: 'br0' });
  const eth0 = link({ ifindex: 2, link_index: 7, ifname: 'eth0', kind: 'veth', mtu: 1450, address: '02:42:0a:00:00:02', addrs: ['10.0.0.2/24'] });
  const route = { dst: 'default', gateway: '10.0.0.1', dev: 'eth0', flags: [] };

  it('issues nothing but the reads when both ends match', async () => {
    const text = await commands({ [READ_HOST_END]: json([hostEnd]), [READ_CONTAINER]: json([lo, eth0], [route]) }, (dp) => dp.attach(ep));
    assert.equal(text, `${READ_HOST_END}\n${READ_CONTAINER}\n  addr show\n  route show default\n`);
  });

  it('fixes a drifted pair in place', async () => {
    const loose = link({ ifindex: 7, link_index: 2, ifname: 'vethabcdef01', kind: 'veth', mtu: 1450, up: false });
    const drifted = link({ ifindex: 2, link_index: 7, ifname: 'eth0', kind: 'veth', mtu: 1500, address: '02:42:0a:00:00:09', addrs: ['10.0.0.9/24'] });
    const text = await commands({ [READ_HOST_END]: json([loose]), [READ_CONTAINER]: json([lo, drifted], []) }, (dp) =>
      dp.attach({ ...ep, defaultRoute: true }),
    );
    assert.equal(
      text.split('\n').slice(4).join('\n'),
      `ip -n sb -force -batch -
  link set vethabcdef01 master br0 up
ip -n c1 -force -batch -
  link set eth0 address 02:42:0a:00:00:02
  link set eth0 mtu 1450
  addr del 10.0.0.9/24 dev eth0
  addr add 10.0.0.2/24 dev eth0
  route replace default via 10.0.0.1 dev eth0
`,
    );
  });

  it('removes its default route when no longer the default', async () => {
    const text = await commands({ [READ_HOST_END]: json([hostEnd]), [READ_CONTAINER]: json([lo, eth0], [route]) }, (dp) =>
      dp.attach({ ...ep, defaultRoute: false }),
    );
    assert.equal(text.split('\n').slice(4).join('\n'), `ip -n c1 -force -batch -\n  route del default via 10.0.0.1 dev eth0\n`);
  });

  it('starts over when the container holds an unrelated eth0', async () => {
    const stranger = link({ ifindex: 5, link_index: 99, ifname: 'eth0', kind: 'veth', addrs: ['10.0.0.2/24'] });
    const text = await commands({ [READ_HOST_END]: noDevice('vethabcdef01'), [READ_CONTAINER]: json([lo, stranger], []) }, (dp) => dp.attach(ep));
    assert.match(text, /^ip -n c1 -force -batch -\n {2}link del eth0\nip -n sb -force -batch -\n {2}link add vethabcdef01 /m);
  });

  it('detach deletes the host end, and a missing one is not an error', async () => {
    const argv = 'ip -n sb link del vethabcdef01';
    assert.equal(await commands({}, (dp) => dp.detach({ sandbox: 'sb', hostIfName: 'vethabcdef01' })), `${argv}\n`);
    const gone = { [argv]: { code: 1, stderr: 'Cannot find device "vethabcdef01"\n' } };
    assert.equal(await commands(gone, (dp) => dp.detach({ sandbox: 'sb', hostIfName: 'vethabcdef01' })), `${argv}\n`);
    const noSandbox = { [argv]: noNetns('sb') };
    assert.equal(await commands(noSandbox, (dp) => dp.detach({ sandbox: 'sb', hostIfName: 'vethabcdef01' })), `${argv}\n`);
  });
});

describe('OverlayDataplane peers', () => {
  const READ_NEIGH = 'ip -n sb -json neigh show dev vxlan0';
  const READ_FDB = 'bridge -n sb -json fdb show dev vxlan0';
  const peer = (ip: string, vtep: string) => ({ ip, mac: macFromIp(ip), vtep });
  const neigh = (ip: string) => ({ dst: ip, lladdr: macFromIp(ip), state: ['PERMANENT'] });
  const fdb = (ip: string, dst: string) => ({ mac: macFromIp(ip), dst, linkNetNsId: 0, flags: ['self'], state: 'permanent' });
  const bridgeOwn = { mac: 'ee:d4:ff:2c:ac:f8', flags: [], master: 'br0', state: 'permanent' };

  it('setPeers reconciles to exactly the given set: one read each, one batch each', async () => {
    const replies = {
      [READ_NEIGH]: json([neigh('10.0.0.2'), neigh('10.0.0.3')]),
      [READ_FDB]: json([bridgeOwn, fdb('10.0.0.2', '198.18.1.2'), fdb('10.0.0.3', '198.18.1.2')]),
    };
    // 10.0.0.2 left, 10.0.0.3 moved to another host, 10.0.0.4 is new.
    const text = await commands(replies, (dp) => dp.setPeers('sb', [peer('10.0.0.3', '198.18.1.3'), peer('10.0.0.4', '198.18.1.2')]));
    assert.equal(
      text,
      `${READ_NEIGH}
${READ_FDB}
ip -n sb -force -batch -
  neigh del 10.0.0.2 dev vxlan0
  neigh replace 10.0.0.4 lladdr 02:42:0a:00:00:04 dev vxlan0 nud permanent
bridge -n sb -force -batch -
  fdb del 02:42:0a:00:00:02 dev vxlan0 dst 198.18.1.2 self
  fdb replace 02:42:0a:00:00:03 dev vxlan0 dst 198.18.1.3 self permanent
  fdb replace 02:42:0a:00:00:04 dev vxlan0 dst 198.18.1.2 self permanent
`,
    );
  });

  it('setPeers with the state already in place only reads', async () => {
    const replies = { [READ_NEIGH]: json([neigh('10.0.0.3')]), [READ_FDB]: json([bridgeOwn, fdb('10.0.0.3', '198.18.1.2')]) };
    const text = await commands(replies, (dp) => dp.setPeers('sb', [peer('10.0.0.3', '198.18.1.2')]));
    assert.equal(text, `${READ_NEIGH}\n${READ_FDB}\n`);
  });

  it('setPeers without vxlan0 says to ensure the network first', async () => {
    const replies = { [READ_NEIGH]: noDevice('vxlan0'), [READ_FDB]: noDevice('vxlan0') };
    await assert.rejects(commands(replies, (dp) => dp.setPeers('sb', [])), (e) => isWeftError(e, 'not-found'));
  });

  it('addPeers and removePeers: no read, one batch per tool', async () => {
    const peers = [peer('10.0.0.3', '198.18.1.2'), peer('10.0.0.4', '198.18.1.3')];
    const text = await commands({}, async (dp) => {
      await dp.addPeers('sb', peers);
      await dp.removePeers('sb', peers);
    });
    assert.equal(
      text,
      `ip -n sb -force -batch -
  neigh replace 10.0.0.3 lladdr 02:42:0a:00:00:03 dev vxlan0 nud permanent
  neigh replace 10.0.0.4 lladdr 02:42:0a:00:00:04 dev vxlan0 nud permanent
bridge -n sb -force -batch -
  fdb replace 02:42:0a:00:00:03 dev vxlan0 dst 198.18.1.2 self permanent
  fdb replace 02:42:0a:00:00:04 dev vxlan0 dst 198.18.1.3 self permanent
ip -n sb -force -batch -
  neigh replace 10.0.0.3 lladdr 02:42:0a:00:00:03 dev vxlan0 nud permanent
  neigh del 10.0.0.3 dev vxlan0
  neigh replace 10.0.0.4 lladdr 02:42:0a:00:00:04 dev vxlan0 nud permanent
  neigh del 10.0.0.4 dev vxlan0
bridge -n sb -force -batch -
  fdb del 02:42:0a:00:00:03 dev vxlan0 dst 198.18.1.2 self
  fdb del 02:42:0a:00:00:04 dev vxlan0 dst 198.18.1.3 self
`,
    );
  });

  it('removePeers tolerates entries that are already gone, but not other failures', async () => {
    const gone = { 'bridge -n sb -force -batch -': { code: 1, stderr: 'RTNETLINK answers: No such file or directory\nCommand failed -:1\n' } };
    await commands(gone, (dp) => dp.removePeers('sb', [peer('10.0.0.3', '198.18.1.2')]));
    const broken = { 'bridge -n sb -force -batch -': { code: 1, stderr: 'RTNETLINK answers: Operation not permitted\nCommand failed -:1\n' } };
    await assert.rejects(commands(broken, (dp) => dp.removePeers('sb', [peer('10.0.0.3', '198.18.1.2')])), /fdb del 02:42:0a:00:00:03/);
  });

  it('peer operations on one sandbox run one at a time, in call order', async () => {
    const rec = new RecordingRunner(scripted({ [READ_NEIGH]: json([]), [READ_FDB]: json([]) }));
    const dp = new OverlayDataplane(rec);
    await Promise.all([dp.setPeers('sb', [peer('10.0.0.3', '198.18.1.2')]), dp.addPeers('sb', [peer('10.0.0.4', '198.18.1.2')])]);
    const order = rec.calls.map((c) => `${c.argv[0]}${c.argv.includes('-json') ? ' read' : ` ${c.input?.split(' ')[0]}`}`);
    assert.deepEqual(order, ['ip read', 'bridge read', 'ip neigh', 'bridge fdb', 'ip neigh', 'bridge fdb']);
    assert.match(rec.calls[4]?.input ?? '', /10\.0\.0\.4/);
  });
});
