// --cluster-store URL parsing: the shapes the daemon gets, and errors that say what is wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWeftError } from '../../src/errors.js';
import { parseStoreUrl, StoreUrlError } from '../../src/store/url.js';

describe('parseStoreUrl', () => {
  it('reads the embedded store\'s absolute path', () => {
    assert.deepEqual(parseStoreUrl('sqlite:///var/lib/weft/cluster.db'), { scheme: 'sqlite', path: '/var/lib/weft/cluster.db' });
    assert.deepEqual(parseStoreUrl('SQLite:///tmp/my%20dir/c.db'), { scheme: 'sqlite', path: '/tmp/my dir/c.db' });
  });

  it('reads host lists and prefixes', () => {
    assert.deepEqual(parseStoreUrl('etcd://h1:2379,h2:2379/prefix'), {
      scheme: 'etcd', endpoints: [{ host: 'h1', port: 2379 }, { host: 'h2', port: 2379 }], prefix: 'prefix',
    });
    assert.deepEqual(parseStoreUrl('zk://10.0.0.1:2181,[fd00::2]:2181/a/b/'), {
      scheme: 'zk', endpoints: [{ host: '10.0.0.1', port: 2181 }, { host: 'fd00::2', port: 2181 }], prefix: 'a/b',
    });
    assert.deepEqual(parseStoreUrl('consul://consul.lab:8500'), {
      scheme: 'consul', endpoints: [{ host: 'consul.lab', port: 8500 }], prefix: '',
    });
    assert.deepEqual(parseStoreUrl('etcd://127.0.0.1:2379/'), {
      scheme: 'etcd', endpoints: [{ host: '127.0.0.1', port: 2379 }], prefix: '',
    });
  });

  const bad: [url: string, says: RegExp][] = [
    ['redis://h:6379/x', /unknown scheme "redis"; expected one of sqlite, etcd, zk, consul/],
    ['etcd:/h:2379', /expected <scheme>:\/\//],
    ['just-a-path', /expected <scheme>:\/\//],
    ['etcd:///prefix', /missing host:port/],
    ['etcd://h1/prefix', /"h1" has no port \(expected host:port, e.g. h1:2379\)/],
    ['zk://h1:2181,/p', /empty entry in the host list/],
    ['etcd://h1:0', /"0" in "h1:0" is not a port/],
    ['etcd://h1:65536', /not a port/],
    ['etcd://h1:port', /not a port/],
    ['etcd://:2379', /has no host/],
    ['etcd://bad_host:2379', /"bad_host" is not a valid host name/],
    ['etcd://[nope]:2379', /"nope" is not an IPv6 address/],
    ['etcd://fd00::1:2379', /not host:port/],
    ['consul://a:8500,b:8500', /consul takes one agent address/],
    ['etcd://h:2379/a//b', /empty segment/],
    ['etcd://h:2379/p?x=1', /query strings and fragments are not supported/],
    ['sqlite://relative/cluster.db', /absolute path after three slashes.*got host "relative"/],
    ['sqlite:///', /missing the database file path/],
    ['sqlite:///var/lib/weft/', /names a directory/],
    ['sqlite:///bad%zz.db', /bad percent-encoding/],
  ];
  for (const [url, says] of bad) {
    it(`rejects ${url}`, () => {
      assert.throws(() => parseStoreUrl(url), (err: unknown) => {
        assert.ok(err instanceof StoreUrlError);
        assert.ok(isWeftError(err, 'invalid'), 'a 400-kind error');
        assert.ok(err.message.includes(JSON.stringify(url)), `names the URL: ${err.message}`);
        assert.match(err.message, says);
        return true;
      });
    });
  }

  it('never echoes credentials', () => {
    assert.throws(() => parseStoreUrl('etcd://root:hunter2@h:2379'), (err: Error) => {
      assert.match(err.message, /credentials in the URL are not supported/);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  });
});
