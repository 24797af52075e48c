// Skeleton 1: one network seen by every host, with Docker's errors, through the real docker CLI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestLab, type TestLab } from '../helpers/lab.js';
import { docker, dockerOk } from '../helpers/docker.js';

describe('the shared network view across two lab hosts', () => {
  let lab: TestLab;
  before(async () => {
    lab = await createTestLab('netview', { weftd: 'real' });
    await Promise.all([lab.createMachine('host1'), lab.createMachine('host2')]);
  });
  after(async () => {
    await lab?.remove();
  });

  it('lists the three predefined networks on each host', async () => {
    for (const h of ['host1', 'host2']) {
      const names = (await dockerOk(lab, h, ['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}'])).trim().split('\n').sort();
      assert.deepEqual(names, ['bridge bridge local', 'host host local', 'none null local']);
    }
  });

  it('shows an overlay network created on host1 on host2 with the same ID and scope global', async () => {
    const id = (await dockerOk(lab, 'host1', ['network', 'create', '-d', 'overlay', 'appnet'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const seen = (await dockerOk(lab, 'host2', ['network', 'inspect', '--format', '{{.Id}} {{.Scope}} {{.Driver}}', 'appnet'])).trim();
    assert.equal(seen, `${id} global overlay`);
    const subnet = (await dockerOk(lab, 'host2', ['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}', 'appnet'])).trim();
    assert.equal(subnet, '10.0.0.0/24 10.0.0.1');
    const ls2 = await dockerOk(lab, 'host2', ['network', 'ls', '--no-trunc', '--filter', 'driver=overlay', '--format', '{{.ID}} {{.Name}}']);
    assert.equal(ls2.trim(), `${id} appnet`);
  });

  it('gives the next free /24 to the next network, whichever host creates it', async () => {
    await dockerOk(lab, 'host2', ['network', 'create', '-d', 'overlay', 'second']);
    const subnet = (await dockerOk(lab, 'host1', ['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'second'])).trim();
    assert.equal(subnet, '10.0.1.0/24');
  });

  it('lets exactly one of two hosts racing on a name win', async () => {
    const results = await Promise.all(['host1', 'host2'].map((h) => docker(lab, h, ['network', 'create', '-d', 'overlay', 'racenet'])));
    assert.deepEqual(results.map((r) => r.code).sort(), [0, 1]);
    const loser = results.find((r) => r.code === 1)!;
    assert.equal(loser.stderr.trim(), 'Error response from daemon: network with name racenet already exists');
    const ids = await Promise.all(['host1', 'host2'].map((h) => dockerOk(lab, h, ['network', 'inspect', '--format', '{{.Id}}', 'racenet'])));
    assert.equal(ids[0], ids[1]);
  });

  it("answers bad input with Docker's errors and keeps running", async () => {
    const cases: [string[], RegExp][] = [
      [['network', 'create', '-d', 'overlay', '--subnet', '10.9.0/24', 'badcidr'], /invalid/i],
      [['network', 'create', '-d', 'overlay', '--subnet', '10.9.0.0/24', '--gateway', '10.8.0.1', 'badgw'], /10\.8\.0\.1/],
      [['network', 'create', '-d', 'overlay', '--subnet', '10.0.0.0/16', 'overlapping'], /Pool overlaps with other one on this address space/],
      [['network', 'rm', 'bridge'], /bridge is a pre-defined network and cannot be removed/],
      [['network', 'inspect', 'nosuch'], /network nosuch not found/],
      [['network', 'create', '-d', 'overlay', '--opt', 'encrypted', 'secret'], /encrypt/i],
    ];
    for (const [args, message] of cases) {
      const r = await docker(lab, 'host1', args);
      assert.equal(r.code, 1, `${args.join(' ')} should fail`);
      assert.match(r.stderr, message, `${args.join(' ')}: ${r.stderr}`);
    }
    // Nothing was half-created, and the daemon still answers.
    const names = (await dockerOk(lab, 'host1', ['network', 'ls', '--format', '{{.Name}}'])).trim().split('\n');
    for (const bad of ['badcidr', 'badgw', 'overlapping', 'secret']) assert.ok(!names.includes(bad), `${bad} must not exist`);
  });

  it('removes a network everywhere', async () => {
    await dockerOk(lab, 'host2', ['network', 'rm', 'second']);
    const r = await docker(lab, 'host1', ['network', 'inspect', 'second']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /network second not found/);
  });
});
