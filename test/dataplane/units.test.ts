// The small pieces: names, addresses, the runners, iproute2 output parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWeftError } from '../../src/errors.js';
import { isAlreadyGone, parseJsonArray, parseJsonLines } from '../../src/dataplane/iproute.js';
import { parseSave } from '../../src/dataplane/iptables.js';
import { macFromIp } from '../../src/dataplane/mac.js';
import { createNetns, deleteNetns, listNetns, netnsPath } from '../../src/dataplane/netns.js';
import { CommandError, ExecRunner, RecordingRunner } from '../../src/dataplane/runner.js';
import { networkCidr } from '../../src/dataplane/validate.js';
import { vethName } from '../../src/dataplane/veth.js';

describe('names and addresses', () => {
  it('macFromIp is 02:42 and the address in hex', () => {
    assert.equal(macFromIp('10.0.0.2'), '02:42:0a:00:00:02');
    assert.equal(macFromIp('172.17.255.254'), '02:42:ac:11:ff:fe');
    assert.throws(() => macFromIp('10.0.0.256'), (e) => isWeftError(e, 'invalid'));
    assert.throws(() => macFromIp('10.0.0'), (e) => isWeftError(e, 'invalid'));
  });

  it('vethName fits IFNAMSIZ and is stable per endpoint', () => {
    assert.equal(vethName('3f2a9c01deadbeef'), 'veth3f2a9c01');
    assert.equal(vethName('not-hex-id'), vethName('not-hex-id'));
    assert.notEqual(vethName('endpoint-a'), vethName('endpoint-b'));
    assert.match(vethName('endpoint-a'), /^veth[0-9a-f]{8}$/);
  });

  it('netnsPath is under /run/netns and refuses paths', () => {
    assert.equal(netnsPath('wt01-host1'), '/run/netns/wt01-host1');
    assert.throws(() => netnsPath('../etc'), (e) => isWeftError(e, 'invalid'));
  });

  it('networkCidr clears host bits', () => {
    assert.equal(networkCidr('172.17.3.4/16'), '172.17.0.0/16');
    assert.equal(networkCidr('10.0.0.255/25'), '10.0.0.128/25');
    assert.equal(networkCidr('198.18.1.7/32'), '198.18.1.7/32');
    assert.equal(networkCidr('198.18.1.7/0'), '0.0.0.0/0');
  });
});

describe('netns helpers', () => {
  it('createNetns tolerates an existing namespace and brings lo up; deleteNetns tolerates a missing one', async () => {
    const rec = new RecordingRunner((c) =>
      c.argv[2] === 'add' ? { code: 1, stderr: 'Cannot create namespace file "/run/netns/x": File exists\n' }
      : c.argv[2] === 'del' ? { code: 1, stderr: 'Cannot remove namespace file "/run/netns/x": No such file or directory\n' }
      : undefined,
    );
    await createNetns(rec, 'x');
    await deleteNetns(rec, 'x');
    assert.equal(rec.text(), 'ip netns add x\nip -n x link set lo up\nip netns del x\n');
  });

  it('listNetns filters by prefix and copes with an empty listing', async () => {
    const listing = JSON.stringify([{ name: 'wd01-a' }, { name: 'other' }, { name: 'wd01-b', id: 3 }]);
    assert.deepEqual(await listNetns(new RecordingRunner(() => ({ stdout: listing })), 'wd01-'), ['wd01-a', 'wd01-b']);
    assert.deepEqual(await listNetns(new RecordingRunner(() => ({ stdout: '' })), 'wd01-'), []);
  });
});

describe('runners', () => {
  const exec = new ExecRunner();

  it('ExecRunner returns output, feeds stdin, and throws with argv and stderr on failure', async () => {
    assert.equal((await exec.run(['cat'], { input: 'a\nb\n' })).stdout, 'a\nb\n');
    const failing = ['sh', '-c', 'cat >/dev/null; echo "Command failed -:2" >&2; exit 3'];
    await assert.rejects(exec.run(failing, { input: 'first\nsecond\n' }), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.code, 3);
      assert.match(e.message, /^sh -c .* exited with 3: Command failed -:2 \[failed lines: "second"\]$/);
      return true;
    });
    assert.equal((await exec.run(['sh', '-c', 'exit 4'], { allowFail: true })).code, 4);
    await assert.rejects(exec.run(['/nonexistent/weft-binary']), /ENOENT/);
  });

  it('ExecRunner kills a command that outlives its timeout', async () => {
    await assert.rejects(new ExecRunner({ timeoutMs: 100 }).run(['sleep', '5']), /killed by SIGKILL/);
  });

  it('RecordingRunner records text, answers from a responder, and throws like the real one', async () => {
    const rec = new RecordingRunner((c) => (c.argv[0] === 'false' ? { code: 1, stderr: 'no' } : { stdout: 'yes' }));
    assert.equal((await rec.run(['echo'], { input: 'x\ny\n' })).stdout, 'yes');
    await assert.rejects(rec.run(['false']), CommandError);
    assert.equal(rec.text(), 'echo\n  x\n  y\nfalse\n');
  });
});

describe('iproute2 and iptables output', () => {
  it('parses -json output, empty output and -json -batch output', () => {
    assert.deepEqual(parseJsonArray(''), []);
    assert.deepEqual(parseJsonArray('[{"a":1}]\n'), [{ a: 1 }]);
    assert.deepEqual(parseJsonLines('[{"a":1}]\n[]\n'), [[{ a: 1 }], []]);
    assert.throws(() => parseJsonArray('{"a":1}'), /expected a JSON array/);
  });

  it('tells "already gone" from real failures', () => {
    assert.equal(isAlreadyGone('Cannot find device "veth1"\n'), true);
    assert.equal(isAlreadyGone('RTNETLINK answers: No such file or directory\nCommand failed -:1\n'), true);
    assert.equal(isAlreadyGone('Cannot open network namespace "x": No such file or directory\n'), true);
    assert.equal(isAlreadyGone('RTNETLINK answers: Operation not permitted\n'), false);
    assert.equal(isAlreadyGone(''), false);
  });

  it('parses iptables-save into table, chain and rule', () => {
    const text = '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.0.0.0/8 -j MASQUERADE\nCOMMIT\n*filter\n-A FORWARD -i br -j DROP\nCOMMIT\n';
    assert.deepEqual(parseSave(text), [
      { table: 'nat', chain: 'POSTROUTING', spec: '-s 10.0.0.0/8 -j MASQUERADE' },
      { table: 'filter', chain: 'FORWARD', spec: '-i br -j DROP' },
    ]);
  });
});
