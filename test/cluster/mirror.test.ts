// StoreMirror: list + watch into a local copy, and the race-free catch-up a join relies on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StoreMirror, type MirrorChange } from '../../src/cluster/mirror.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import { waitUntil } from '../store/helpers.js';

describe('StoreMirror', () => {
  let dir: string;
  let writer: Store;
  let reader: Store;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-mirror-'));
    // Two store instances on one file, as two weftds on one machine: the reader's watch only
    // learns of the writer's changes through its poll.
    writer = await openSqliteStore(path.join(dir, 'c.db'));
    reader = await openSqliteStore(path.join(dir, 'c.db'), { pollMs: 1000 });
  });
  after(async () => {
    await writer.close();
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from a listing and follows changes in order', async () => {
    await writer.create('m/a/1', '"one"');
    const mirror = new StoreMirror<string>(reader, 'm/', (kv) => JSON.parse(kv.value) as string);
    const seen: MirrorChange<string>[] = [];
    mirror.subscribe((c) => seen.push(c));
    await mirror.start();
    assert.deepEqual(mirror.values(), ['one']);
    const two = await writer.create('m/a/2', '"two"');
    await writer.compareAndSwap('m/a/2', '"TWO"', two!.revision);
    await writer.delete('m/a/1');
    await waitUntil(() => mirror.get('m/a/1') === undefined && mirror.get('m/a/2') === 'TWO', 'mirror follows');
    assert.deepEqual(
      seen.map((c) => [c.key, c.previous, c.value]),
      [
        ['m/a/1', undefined, 'one'], // from the listing: subscribed before start
        ['m/a/2', undefined, 'two'],
        ['m/a/2', 'two', 'TWO'],
        ['m/a/1', 'one', undefined],
      ],
    );
    await mirror.close();
  });

  it('catches up at once, and ignores the late events of what it already has', async () => {
    const mirror = new StoreMirror<string>(reader, 'n/', (kv) => JSON.parse(kv.value) as string);
    await mirror.start();
    const changes: MirrorChange<string>[] = [];
    mirror.subscribe((c) => changes.push(c));
    // Created and deleted before the catch-up, then created again: the watch (slow poll) has
    // seen none of it yet.
    await writer.create('n/x/gone', '"g"');
    await writer.delete('n/x/gone');
    await writer.create('n/x/kept', '"k"');
    const now = await mirror.catchUp('n/x/');
    assert.deepEqual(now, ['k']);
    // When the watch delivers those three events later, nothing moves backwards.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(mirror.values(), ['k']);
    assert.deepEqual(
      changes.map((c) => [c.key, c.value]),
      [['n/x/kept', 'k']],
    );
    await mirror.close();
  });

  it('records its own writes at once, and the watch bringing them back changes nothing', async () => {
    const mirror = new StoreMirror<string>(reader, 'w/', (kv) => JSON.parse(kv.value) as string);
    await mirror.start();
    const changes: MirrorChange<string>[] = [];
    mirror.subscribe((c) => changes.push(c));
    const written = await writer.createAll([{ key: 'w/a', value: '"a"' }, { key: 'other/b', value: '"b"' }]);
    assert.ok(written);
    mirror.record(written);
    assert.deepEqual(mirror.values(), ['a'], 'a key outside the prefix is not taken');
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(changes.map((c) => [c.key, c.value]), [['w/a', 'a']]);
    await mirror.close();
  });
});
