// The device lines on their own: the sandbox's br_netfilter switch, as text and on the real kernel.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { bridgeAddLine, sandboxNetfilterOffLine } from '../../src/dataplane/devices.js';
import { ipBatch, runBatch } from '../../src/dataplane/iproute.js';
import { createNetns } from '../../src/dataplane/netns.js';
import { Lab, exec, inNs, runPrefix } from './kernel-lab.js';

const KEYS = ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables', 'net.bridge.bridge-nf-call-arptables'];

describe('sandboxNetfilterOffLine', () => {
  it('runs sysctl inside the named namespace for all three families, ignoring absent keys', () => {
    assert.equal(
      sandboxNetfilterOffLine('wx-sb-1'),
      `netns exec wx-sb-1 sysctl -qew ${KEYS.map((k) => `${k}=0`).join(' ')}`,
    );
  });

  describe('on the kernel', () => {
    const lab = new Lab(runPrefix());
    after(async () => {
      assert.deepEqual(await lab.destroy(), []);
    });

    const read = async (ns: string): Promise<string[]> => {
      const r = await exec.run(inNs(ns, ['sysctl', '-n', ...KEYS]), { allowFail: true });
      return r.stdout.trim().split('\n').filter((l) => l !== '');
    };

    it('turns br_netfilter off in that namespace only, from a batch run in it', async () => {
      const sandbox = lab.name('sb');
      const other = lab.name('other');
      await createNetns(exec, sandbox);
      await createNetns(exec, other);
      const before = await read(sandbox);
      if (before.length !== KEYS.length) return; // a kernel without br_netfilter: nothing to turn off
      assert.deepEqual(before, ['1', '1', '1'], 'a new namespace starts with br_netfilter on');
      await runBatch(exec, ipBatch(sandbox, [bridgeAddLine('br0', 1450), sandboxNetfilterOffLine(sandbox)]));
      assert.deepEqual(await read(sandbox), ['0', '0', '0']);
      assert.deepEqual(await read(other), ['1', '1', '1'], 'another namespace keeps its own setting');
    });
  });
});
