import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isWeftError } from '../../src/errors.js';
import { BUSYBOX_CHANGES, buildBusyboxTarball } from '../../src/runtime/busybox.js';
import { ImageStore } from '../../src/runtime/images.js';

let dir: string;
let tarball: string;
let store: ImageStore;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-img-'));
  tarball = await buildBusyboxTarball(join(dir, 'busybox.tar'));
  for (const [tool, flag] of [['gzip', '-k'], ['xz', '-k'], ['zstd', '-q']] as const) {
    execFileSync(tool, [flag, tarball]);
  }
  store = new ImageStore(join(dir, 'data'));
  await store.init();
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const notFoundWith = (message: string) => (err: unknown) => {
  assert.ok(isWeftError(err, 'not-found'), String(err));
  assert.equal((err as Error).message, message);
  return true;
};

describe('busybox tarball', () => {
  test('has /bin/busybox, applet symlinks, /etc/passwd and /tmp', () => {
    const listing = execFileSync('tar', ['-tvf', tarball], { encoding: 'utf8' });
    assert.match(listing, /^-rwxr-xr-x 0\/0 .* \.\/bin\/busybox$/m);
    assert.match(listing, /^lrwxrwxrwx 0\/0 .* \.\/bin\/sh -> \/bin\/busybox$/m);
    assert.match(listing, /^lrwxrwxrwx 0\/0 .* \.\/usr\/bin\/nc -> \/bin\/busybox$/m);
    assert.match(listing, / \.\/etc\/passwd$/m);
    assert.match(listing, /^drwxrwxrwt 0\/0 .* \.\/tmp\/$/m);
  });

  test('is built once and is reproducible', async () => {
    const before = readFileSync(tarball);
    assert.equal(await buildBusyboxTarball(tarball), tarball);
    assert.ok(readFileSync(tarball).equals(before));
    const other = await buildBusyboxTarball(join(dir, 'again.tar'));
    assert.ok(readFileSync(other).equals(before));
  });
});

describe('import', () => {
  test('a plain tarball, tagged, with changes', async () => {
    const image = await store.import(createReadStream(tarball), { repo: 'busybox', changes: BUSYBOX_CHANGES, message: 'from test' });
    assert.match(image.id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(image.repoTags, ['busybox:latest']);
    assert.deepEqual(image.config.Cmd, ['sh']);
    assert.deepEqual(image.config.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    assert.equal(image.comment, 'from test');
    assert.ok(image.size > 500_000);
    assert.ok(!Number.isNaN(Date.parse(image.created)));
    assert.equal(readlinkSync(join(image.rootfs, 'bin/sh')), '/bin/busybox');
    assert.equal(lstatSync(join(image.rootfs, 'bin/busybox')).uid, 0);
  });

  for (const ext of ['gz', 'xz', 'zst']) {
    test(`a .${ext} tarball is recognised by its magic bytes`, async () => {
      const image = await store.import(createReadStream(`${tarball}.${ext}`), { repo: `bb${ext}:1.0` });
      assert.deepEqual(image.repoTags, [`bb${ext}:1.0`]);
      assert.ok(existsSync(join(image.rootfs, 'bin/busybox')));
      assert.equal(image.config.Cmd, null);
    });
  }

  test('the same bytes and config give the same image; an untagged import stays untagged', async () => {
    const a = await store.import(createReadStream(tarball), { changes: ['CMD ["true"]'] });
    const b = await store.import(createReadStream(tarball), { changes: ['CMD ["true"]'] });
    assert.equal(a.id, b.id);
    assert.deepEqual(b.repoTags, []);
    const c = await store.import(createReadStream(tarball), { changes: ['CMD ["false"]'] });
    assert.notEqual(c.id, a.id);
    assert.equal(c.rootfs, a.rootfs, 'one unpacked layer for the same bytes');
  });

  test('re-import under the same tag moves the tag', async () => {
    const first = await store.import(createReadStream(tarball), { repo: 'moving:1' });
    const second = await store.import(createReadStream(`${tarball}.gz`), { repo: 'moving:1', changes: ['CMD ["sh"]'] });
    assert.notEqual(first.id, second.id);
    assert.equal(store.get('moving:1').id, second.id);
    assert.deepEqual(store.get(first.id).repoTags, []);
  });

  test('changes: shell and exec forms, ENV, LABEL, WORKDIR, EXPOSE, USER; unknown instructions are 400', async () => {
    const image = await store.import(createReadStream(tarball), {
      changes: ['ENTRYPOINT /bin/echo hi', 'CMD ["a", "b"]', 'ENV A=1 B="two words"', 'ENV C three words',
        'LABEL team=net "x y"=z', 'WORKDIR /srv', 'WORKDIR app', 'EXPOSE 80 53/udp', 'USER nobody', 'STOPSIGNAL SIGINT'],
    });
    assert.deepEqual(image.config.Entrypoint, ['/bin/sh', '-c', '/bin/echo hi']);
    assert.deepEqual(image.config.Cmd, ['a', 'b']);
    assert.deepEqual(image.config.Env, ['A=1', 'B=two words', 'C=three words']);
    assert.deepEqual(image.config.Labels, { team: 'net', 'x y': 'z' });
    assert.equal(image.config.WorkingDir, '/srv/app');
    assert.deepEqual(image.config.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
    assert.equal(image.config.User, 'nobody');
    assert.equal(image.config.StopSignal, 'SIGINT');
    await assert.rejects(store.import(createReadStream(tarball), { changes: ['RUN rm -rf /'] }),
      (err) => isWeftError(err, 'invalid') && (err as Error).message === 'RUN is not a valid change command');
  });

  test('garbage and empty bodies are 400; an invalid repository name is 400', async () => {
    await assert.rejects(store.import(Readable.from([Buffer.from('this is not a tarball at all'.repeat(40))])),
      (err) => isWeftError(err, 'invalid'));
    await assert.rejects(store.import(Readable.from([])), (err) => isWeftError(err, 'invalid'));
    await assert.rejects(store.import(createReadStream(tarball), { repo: 'UPPER:1' }), (err) => isWeftError(err, 'invalid'));
    assert.deepEqual(readdirTmp(), []);
  });
});

function readdirTmp(): string[] {
  return execFileSync('ls', ['-A', join(dir, 'data', 'images', 'tmp')], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('references', () => {
  test('busybox resolves by every form Docker accepts', () => {
    const image = store.get('busybox:latest');
    const hex = image.id.slice(7);
    for (const ref of ['busybox', 'docker.io/library/busybox:latest', 'index.docker.io/library/busybox',
      'library/busybox', image.id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 12)}`]) {
      assert.equal(store.get(ref).id, image.id, ref);
    }
  });

  test('unknown references are 404 with Docker\'s message', () => {
    assert.throws(() => store.get('nosuch:1'), notFoundWith('No such image: nosuch:1'));
    assert.throws(() => store.get('nosuch'), notFoundWith('No such image: nosuch:latest'));
    assert.throws(() => store.get('busybox:2'), notFoundWith('No such image: busybox:2'));
    assert.throws(() => store.get('docker.io/library/nosuch'), notFoundWith('No such image: nosuch:latest'));
  });

  test('list shows every image with its tags', () => {
    const images = store.list();
    assert.ok(images.some((i) => i.repoTags.includes('busybox:latest')));
    assert.ok(images.some((i) => i.repoTags.length === 0));
  });

  test('a new store over the same directory sees the same images and tags', async () => {
    const reopened = new ImageStore(join(dir, 'data'));
    await reopened.init();
    assert.deepEqual(reopened.list().map((i) => [i.id, i.repoTags]), store.list().map((i) => [i.id, i.repoTags]));
  });
});

describe('remove', () => {
  test('a tag of an image with several tags is only untagged; by id it needs force', async () => {
    const image = await store.import(createReadStream(tarball), { repo: 'rm-a:1', changes: ['LABEL rm=1'] });
    await store.tag(image.id, 'rm-b:1');
    assert.deepEqual(store.get('rm-a:1').repoTags, ['rm-a:1', 'rm-b:1']);
    await assert.rejects(store.remove(image.id), (err) => isWeftError(err, 'conflict')
      && (err as Error).message === `conflict: unable to delete ${image.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
    assert.deepEqual(await store.remove('rm-b:1'), [{ Untagged: 'rm-b:1' }]);
    assert.deepEqual(await store.remove('rm-a:1'), [{ Untagged: 'rm-a:1' }, { Deleted: image.id }]);
    assert.throws(() => store.get(image.id), (err) => isWeftError(err, 'not-found'));
  });

  test('the layer is deleted with its last image; images used by containers are kept', async () => {
    const image = await store.import(createReadStream(`${tarball}.xz`), { repo: 'layer-gone:1', changes: ['LABEL gone=1'] });
    const others = store.list().filter((i) => i.rootfs === image.rootfs && i.id !== image.id);
    for (const o of others) await store.remove(o.id, { force: true });
    store.setUsers((id) => (id === image.id ? [{ id: 'c0ffee'.padEnd(64, '0'), running: false }] : []));
    await assert.rejects(store.remove('layer-gone:1'), (err) => isWeftError(err, 'conflict'));
    assert.deepEqual(await store.remove('layer-gone:1', { force: true }), [{ Untagged: 'layer-gone:1' }]);
    assert.ok(existsSync(image.rootfs));
    store.setUsers(() => []);
    assert.deepEqual(await store.remove(image.id), [{ Deleted: image.id }]);
    assert.equal(existsSync(image.rootfs), false);
  });
});
