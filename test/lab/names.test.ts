// Names, paths and engine options of the lab: pure functions, no namespaces needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveEngineOpts } from '../../src/lab/engine-opts.js';
import {
  checkLabName,
  checkMachineName,
  dockerHost,
  machineNetnsPrefix,
  netnsOwner,
  type LabConfig,
} from '../../src/lab/naming.js';
import { isWeftError } from '../../src/errors.js';
import { labConfig } from '../../src/lab/index.js';

const lab: LabConfig = labConfig({ name: 'wtunit', weftd: ['/bin/false'] });

describe('lab names', () => {
  it('keeps "-" out of names, so one machine\'s prefix never matches another\'s namespaces', () => {
    assert.throws(() => checkMachineName(lab, 'host-1'), (e: unknown) => isWeftError(e, 'invalid'));
    assert.throws(() => checkLabName('my-lab'), (e: unknown) => isWeftError(e, 'invalid'));
    assert.throws(() => checkMachineName(lab, '../../etc'), (e: unknown) => isWeftError(e, 'invalid'));
    assert.throws(() => checkMachineName(lab, 'lan'), /LAN namespace/);
    assert.equal(checkMachineName(lab, 'host1'), 'host1');
  });

  it('refuses a name whose API socket path would not fit a unix socket', () => {
    const long = labConfig({ name: 'wtunit', weftd: [], runRoot: `/run/${'x'.repeat(90)}` });
    assert.throws(() => checkMachineName(long, 'host1'), /107-byte limit/);
  });

  it('derives namespace names and the docker host from the lab and machine names', () => {
    assert.equal(machineNetnsPrefix(lab, 'host1'), 'wtunit-host1-');
    assert.equal(dockerHost(lab, 'host1'), 'unix:///run/weft/wtunit/host1.sock');
    assert.equal(netnsOwner(lab, 'wtunit-host1'), 'host1');
    assert.equal(netnsOwner(lab, 'wtunit-host1-c0ffee'), 'host1');
    assert.equal(netnsOwner(lab, 'wtunit-lan'), 'lan');
    assert.equal(netnsOwner(lab, 'wtunitx-host1'), undefined);
    assert.equal(netnsOwner(lab, 'other-host1'), undefined);
  });
});

describe('engine options', () => {
  it('defaults to the lab store, eth1:2376 and --dns none', () => {
    assert.deepEqual(resolveEngineOpts(lab, []), [
      ['cluster-store', 'sqlite:///var/lib/weft/labs/wtunit/cluster.db'],
      ['cluster-advertise', 'eth1:2376'],
      ['dns', 'none'],
    ]);
  });

  it('passes the given ones through as --KEY VALUE, in order, resolvers repeated', () => {
    const opts = resolveEngineOpts(lab, [
      'lease-ttl=5',
      'cluster-store=etcd://198.18.0.1:2379/x',
      'dns=198.18.0.1',
      'dns=198.18.0.53:5353',
      'log-level=debug',
    ]);
    assert.deepEqual(opts, [
      ['cluster-store', 'etcd://198.18.0.1:2379/x'],
      ['cluster-advertise', 'eth1:2376'],
      ['dns', '198.18.0.1'],
      ['dns', '198.18.0.53:5353'],
      ['lease-ttl', '5'],
      ['log-level', 'debug'],
    ]);
  });

  it("refuses a resolver outside the lab, such as this machine's", () => {
    assert.throws(() => resolveEngineOpts(lab, ['dns=10.255.255.53']), /inside the lab/);
    assert.throws(() => resolveEngineOpts(lab, ['dns=8.8.8.8']), /inside the lab/);
  });

  it('refuses flags the lab sets per machine, malformed options and a second store', () => {
    assert.throws(() => resolveEngineOpts(lab, ['data-root=/tmp/x']), /set by the lab/);
    assert.throws(() => resolveEngineOpts(lab, ['hostname=x']), /set by the lab/);
    assert.throws(() => resolveEngineOpts(lab, ['novalue']), /KEY=VALUE/);
    assert.throws(() => resolveEngineOpts(lab, ['cluster-store=a', 'cluster-store=b']), /more than once/);
  });
});
