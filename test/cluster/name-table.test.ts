import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NameTable, type NameTableEndpoint } from '../../src/cluster/name-table.js';
import type { LookupResult } from '../../src/dns/lookup.js';

// Two networks: appnet (web on host A, db and the cache pair on host B) and other (lonely).
// Container "client" is on appnet only; "bridge" is on both.
function ep(id: string, network: 'appnet' | 'other', containerId: string, name: string, ip: string, aliases: string[] = []): NameTableEndpoint {
  return { id, networkId: `net-${network}`, networkName: network, containerId, name, aliases, ip };
}

function table(): NameTable {
  const t = new NameTable();
  t.setEndpoint(ep('e-client', 'appnet', 'c-client', 'client', '10.0.0.2/24'));
  t.setEndpoint(ep('e-web', 'appnet', 'c-web', 'web', '10.0.0.3/24', ['www', 'Frontend']));
  t.setEndpoint(ep('e-db', 'appnet', 'c-db', 'db', '10.0.0.4'));
  t.setEndpoint(ep('e-cache1', 'appnet', 'c-cache1', 'cache1', '10.0.0.5', ['cache']));
  t.setEndpoint(ep('e-cache2', 'appnet', 'c-cache2', 'cache2', '10.0.0.6', ['cache']));
  t.setEndpoint(ep('e-lonely', 'other', 'c-lonely', 'lonely', '10.1.0.2/24', ['hermit']));
  t.setEndpoint(ep('e-bridge-a', 'appnet', 'c-bridge', 'bridge', '10.0.0.7/24'));
  t.setEndpoint(ep('e-bridge-o', 'other', 'c-bridge', 'bridge', '10.1.0.3/24'));
  return t;
}

const addresses = (...ips: string[]): LookupResult => ({ kind: 'addresses', addresses: ips });

describe('NameTable', () => {
  it('resolves container names and aliases for an asker on the same network', () => {
    const t = table();
    assert.deepEqual(t.lookup('c-client', 'web'), addresses('10.0.0.3'));
    assert.deepEqual(t.lookup('c-client', 'www'), addresses('10.0.0.3'));
    assert.deepEqual(t.lookup('c-client', 'frontend'), addresses('10.0.0.3'));
    assert.deepEqual(t.lookup('c-client', 'db'), addresses('10.0.0.4'));
  });

  it('resolves name.<network> and alias.<network>', () => {
    const t = table();
    assert.deepEqual(t.lookup('c-client', 'web.appnet'), addresses('10.0.0.3'));
    assert.deepEqual(t.lookup('c-client', 'www.appnet'), addresses('10.0.0.3'));
  });

  it('ignores letter case and a trailing dot', () => {
    const t = table();
    for (const q of ['WEB', 'Web.', 'web.APPNET', 'wEb.AppNet.', 'FRONTEND.appnet.']) {
      assert.deepEqual(t.lookup('c-client', q), addresses('10.0.0.3'), q);
    }
  });

  it('gives every address of a shared alias, in a stable order', () => {
    const t = table();
    assert.deepEqual(t.lookup('c-client', 'cache'), addresses('10.0.0.5', '10.0.0.6'));
    assert.deepEqual(t.lookup('c-client', 'cache.appnet'), addresses('10.0.0.5', '10.0.0.6'));
  });

  it('resolves the asker\'s own name', () => {
    assert.deepEqual(table().lookup('c-client', 'client'), addresses('10.0.0.2'));
  });

  it('does not resolve names on networks the asker is not on', () => {
    const t = table();
    assert.deepEqual(t.lookup('c-client', 'lonely'), { kind: 'forward' });
    assert.deepEqual(t.lookup('c-client', 'hermit'), { kind: 'forward' });
    assert.deepEqual(t.lookup('c-client', 'lonely.other'), { kind: 'forward' });
    assert.deepEqual(t.lookup('c-lonely', 'web'), { kind: 'forward' });
    assert.deepEqual(t.lookup('c-lonely', 'web.appnet'), { kind: 'forward' });
  });

  it('answers through every network the asker shares with the endpoint', () => {
    const t = table();
    assert.deepEqual(t.lookup('c-lonely', 'bridge'), addresses('10.1.0.3'));
    assert.deepEqual(t.lookup('c-client', 'bridge'), addresses('10.0.0.7'));
    assert.deepEqual(t.lookup('c-bridge', 'lonely'), addresses('10.1.0.2'));
    assert.deepEqual(t.lookup('c-bridge', 'web'), addresses('10.0.0.3'));
    // The asker shares both networks with itself.
    assert.deepEqual(t.lookup('c-bridge', 'bridge'), addresses('10.0.0.7', '10.1.0.3'));
    assert.deepEqual(t.lookup('c-bridge', 'bridge.other'), addresses('10.1.0.3'));
  });

  it('says NXDOMAIN for an unknown name under one of the asker\'s networks', () => {
    const t = table();
    assert.deepEqual(t.lookup('c-client', 'x.appnet'), { kind: 'nxdomain' });
    assert.deepEqual(t.lookup('c-client', 'X.AppNet.'), { kind: 'nxdomain' });
    assert.deepEqual(t.lookup('c-client', 'lonely.appnet'), { kind: 'nxdomain' });
  });

  it('forwards everything else', () => {
    const t = table();
    for (const q of ['example.com', 'x', 'appnet', 'web.appnet.example.com', '', '.']) {
      assert.deepEqual(t.lookup('c-client', q), { kind: 'forward' }, JSON.stringify(q));
    }
  });

  it('resolves nothing for an asker it has no endpoint of', () => {
    const t = table();
    assert.deepEqual(t.lookup('c-unknown', 'web'), { kind: 'forward' });
    assert.deepEqual(t.lookup('c-unknown', 'x.appnet'), { kind: 'forward' });
    assert.equal(t.reverse('c-unknown', '10.0.0.3'), undefined);
  });

  it('reverses addresses on the asker\'s networks to name.<network>', () => {
    const t = table();
    assert.equal(t.reverse('c-client', '10.0.0.3'), 'web.appnet');
    assert.equal(t.reverse('c-client', '10.0.0.2'), 'client.appnet');
    assert.equal(t.reverse('c-client', '10.1.0.2'), undefined);
    assert.equal(t.reverse('c-bridge', '10.1.0.2'), 'lonely.other');
    assert.equal(t.reverse('c-client', '198.18.1.1'), undefined);
  });

  it('follows removals and replacements', () => {
    const t = table();
    t.removeEndpoint('e-cache1');
    assert.deepEqual(t.lookup('c-client', 'cache'), addresses('10.0.0.6'));
    t.removeEndpoint('e-cache1'); // again: no-op
    t.removeEndpoint('never-there');
    t.setEndpoint(ep('e-web', 'appnet', 'c-web', 'web', '10.0.0.30/24', ['newalias']));
    assert.deepEqual(t.lookup('c-client', 'web'), addresses('10.0.0.30'));
    assert.deepEqual(t.lookup('c-client', 'newalias'), addresses('10.0.0.30'));
    assert.deepEqual(t.lookup('c-client', 'www'), { kind: 'forward' });
    assert.equal(t.reverse('c-client', '10.0.0.3'), undefined);
    assert.equal(t.reverse('c-client', '10.0.0.30'), 'web.appnet');
  });

  it('derives the asker\'s networks from its endpoints', () => {
    const t = table();
    t.removeEndpoint('e-bridge-o');
    assert.deepEqual(t.lookup('c-bridge', 'lonely'), { kind: 'forward' });
    assert.deepEqual(t.lookup('c-bridge', 'x.other'), { kind: 'forward' });
    assert.deepEqual(t.lookup('c-bridge', 'x.appnet'), { kind: 'nxdomain' });
    t.removeEndpoint('e-client');
    assert.deepEqual(t.lookup('c-client', 'web'), { kind: 'forward' });
  });

  it('returns the same result object while nothing changes, and a fresh one after a change', () => {
    const t = table();
    const first = t.lookup('c-client', 'cache');
    assert.equal(t.lookup('c-client', 'cache'), first);
    t.setEndpoint(ep('e-new', 'appnet', 'c-new', 'new', '10.0.0.9'));
    const second = t.lookup('c-client', 'cache');
    assert.notEqual(second, first);
    assert.deepEqual(second, first);
  });

  it('rejects an endpoint without a usable address', () => {
    const t = new NameTable();
    assert.throws(() => t.setEndpoint(ep('e', 'appnet', 'c', 'n', 'nonsense')), /invalid address/);
    assert.deepEqual(t.lookup('c', 'n'), { kind: 'forward' });
  });

  it('supports dotted names and network names', () => {
    const t = new NameTable();
    t.setEndpoint({ id: 'e1', networkId: 'n1', networkName: 'my.net', containerId: 'c1', name: 'api', aliases: ['api.v2'], ip: '10.2.0.2' });
    t.setEndpoint({ id: 'e2', networkId: 'n1', networkName: 'my.net', containerId: 'c2', name: 'client', aliases: [], ip: '10.2.0.3' });
    assert.deepEqual(t.lookup('c2', 'api.my.net'), addresses('10.2.0.2'));
    assert.deepEqual(t.lookup('c2', 'api.v2'), addresses('10.2.0.2'));
    assert.deepEqual(t.lookup('c2', 'api.v2.my.net'), addresses('10.2.0.2'));
    assert.deepEqual(t.lookup('c2', 'nope.my.net'), { kind: 'nxdomain' });
    assert.equal(t.reverse('c2', '10.2.0.2'), 'api.my.net');
  });
});
