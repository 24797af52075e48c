// The embedded DNS server in a two-host lab: names across hosts, TCP, scoping, NXDOMAIN,
// forwarding to the lab's own upstream and SERVFAIL once it is gone, removal propagating — plus
// the overlay's MTU and reach in both directions. Queries run with the machine's `dig` inside a
// container's network namespace (`nsenter -n -t <pid>`), never towards this machine's resolver.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { inLan, LAN_GATEWAY, prepareLab } from '../../src/lab/index.js';
import { createTestLab, type TestLab } from '../helpers/lab.js';
import { docker, dockerOk } from '../helpers/docker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('embedded DNS and the overlay across two lab hosts', () => {
  let lab: TestLab;
  let upstream: ChildProcess | undefined;
  const pids: Record<string, number> = {};

  const pidOf = async (host: string, ctr: string) => Number((await dockerOk(lab, host, ['inspect', '-f', '{{.State.Pid}}', ctr])).trim());
  /** dig at 127.0.0.11 from inside a container's network namespace. */
  const dig = (ctr: string, ...args: string[]) => {
    const r = spawnSync('nsenter', ['-n', '-t', String(pids[ctr]), 'dig', '@127.0.0.11', '+time=2', '+tries=1', ...args], { encoding: 'utf8', timeout: 10_000 });
    return r.stdout;
  };
  const status = (out: string) => /status: (\w+)/.exec(out)?.[1];
  const inCtr = (ctr: string, argv: string[]) => spawnSync('nsenter', ['-n', '-t', String(pids[ctr]), ...argv], { encoding: 'utf8', timeout: 20_000 });

  before(async () => {
    lab = await createTestLab('dns', { weftd: 'real' });
    // The lab's own upstream resolver, on the LAN, answering one zone.
    await prepareLab(lab.labConfig);
    const argv = inLan(lab.labConfig, ['dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', `--listen-address=${LAN_GATEWAY}`, '--bind-interfaces', '--address=/example.test/198.18.9.9', '--pid-file=']);
    upstream = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    await Promise.all([lab.createMachine('host1', { dns: [LAN_GATEWAY] }), lab.createMachine('host2', { dns: [LAN_GATEWAY] })]);
    await dockerOk(lab, 'host1', ['network', 'create', '-d', 'overlay', 'appnet']);
    await dockerOk(lab, 'host1', ['network', 'create', '-d', 'overlay', 'other']);
    await dockerOk(lab, 'host1', ['run', '-d', '--name', 'mongo', '--net', 'appnet', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/']);
    await dockerOk(lab, 'host2', ['run', '-d', '--name', 'box', '--net', 'appnet', 'busybox', 'sleep', '1000']);
    await dockerOk(lab, 'host2', ['run', '-d', '--name', 'stranger', '--net', 'other', 'busybox', 'sleep', '1000']);
    pids.mongo = await pidOf('host1', 'mongo');
    pids.box = await pidOf('host2', 'box');
    pids.stranger = await pidOf('host2', 'stranger');
  });
  after(async () => {
    if (upstream?.pid) process.kill(upstream.pid, 'SIGKILL');
    await lab?.remove();
  });

  it('resolves the name and name.network across hosts, in any letter case, with TTL 600', () => {
    for (const name of ['mongo', 'mongo.appnet', 'MONGO', 'Mongo.AppNet']) {
      const out = dig('box', name, '+noall', '+answer');
      assert.match(out, /\s600\s+IN\s+A\s+10\.0\.0\.2/, `${name}: ${out}`);
    }
  });

  it('answers over TCP too', () => {
    assert.match(dig('box', '+tcp', 'mongo', '+short'), /^10\.0\.0\.2$/m);
  });

  it('does not answer a container on another network (scoping)', () => {
    const out = dig('stranger', 'mongo', '+short');
    assert.doesNotMatch(out, /10\.0\.0\.2/);
  });

  it('gives NXDOMAIN at once for an unknown name on the network', () => {
    assert.equal(status(dig('box', 'x.appnet')), 'NXDOMAIN');
  });

  it("forwards other names to the lab's upstream, and answers SERVFAIL in under a second once it is gone", () => {
    assert.match(dig('box', 'www.example.test', '+short'), /^198\.18\.9\.9$/m);
    process.kill(upstream!.pid!, 'SIGKILL');
    upstream = undefined;
    const started = Date.now();
    const out = dig('box', 'gone.example.test');
    assert.equal(status(out), 'SERVFAIL', out);
    assert.ok(Date.now() - started < 1500, 'answered well within dig\'s own timeout');
  });

  it('has MTU 1450 on the overlay, and DF pings fit exactly', () => {
    assert.match(inCtr('box', ['ip', '-o', 'link', 'show', 'eth0']).stdout, /mtu 1450/);
    assert.equal(inCtr('box', ['ping', '-c', '1', '-W', '2', '-M', 'do', '-s', '1422', '10.0.0.2']).status, 0);
    assert.notEqual(inCtr('box', ['ping', '-c', '1', '-W', '2', '-M', 'do', '-s', '1423', '10.0.0.2']).status, 0);
  });

  it('reaches across hosts in both directions', () => {
    const boxIp = /inet (10\.0\.0\.\d+)/.exec(inCtr('box', ['ip', '-o', '-4', 'addr', 'show', 'eth0']).stdout)?.[1];
    assert.ok(boxIp);
    assert.equal(inCtr('mongo', ['ping', '-c', '1', '-W', '2', boxIp]).status, 0);
    assert.equal(inCtr('box', ['ping', '-c', '1', '-W', '2', '10.0.0.2']).status, 0);
  });

  it('stops resolving a container removed on the other host', async () => {
    await dockerOk(lab, 'host1', ['rm', '-f', 'mongo']);
    let last = '';
    for (let i = 0; i < 50; i++) {
      last = dig('box', 'mongo.appnet');
      if (status(last) === 'NXDOMAIN') break;
      await sleep(100);
    }
    assert.equal(status(last), 'NXDOMAIN', last);
    const r = await docker(lab, 'host2', ['exec', 'box', 'nslookup', 'mongo', '127.0.0.11']);
    assert.notEqual(r.code, 0);
  });
});
