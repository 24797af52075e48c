// The `busybox` image, built from Debian's busybox-static: /bin/busybox plus the applet symlinks
// that `busybox --install -s` would make, and a minimal /etc. The tarball is reproducible (sorted,
// fixed mtime and owners), so importing it twice gives the same image id.

import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, open, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createReadStream } from 'node:fs';
import { DEFAULT_PATH } from './image-config.js';
import type { ImageRecord, ImageStore } from './images.js';
import { hostTool, runCommand } from './os-commands.js';

/** The config Docker Hub's busybox image carries. */
export const BUSYBOX_CHANGES: readonly string[] = [`ENV PATH=${DEFAULT_PATH}`, 'CMD ["sh"]'];

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'bin:x:2:2:bin:/bin:/bin/false',
  'sys:x:3:3:sys:/dev:/bin/false',
  'sync:x:100:65534:sync:/bin:/bin/sync',
  'mail:x:8:8:mail:/var/spool/mail:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'operator:x:37:37:Operator:/var:/bin/false',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
  '',
].join('\n');

const GROUP = [
  'root:x:0:', 'daemon:x:1:', 'bin:x:2:', 'sys:x:3:', 'adm:x:4:', 'tty:x:5:', 'disk:x:6:',
  'wheel:x:10:root', 'mail:x:12:', 'www-data:x:33:', 'operator:x:37:', 'users:x:100:',
  'nogroup:x:65534:', '',
].join('\n');

const building = new Map<string, Promise<string>>();

/**
 * Builds the busybox rootfs tarball at `dest` unless it already exists (the cache), and returns
 * `dest`. Concurrent callers in one process share one build; across processes the final rename
 * is atomic.
 */
export function buildBusyboxTarball(dest: string, busyboxBinary?: string): Promise<string> {
  let pending = building.get(dest);
  if (!pending) {
    pending = build(dest, busyboxBinary).finally(() => building.delete(dest));
    building.set(dest, pending);
  }
  return pending;
}

/** Imports the busybox tarball as `busybox:latest` with Docker Hub's config. */
export async function importBusybox(images: ImageStore, tarball: string, repo = 'busybox:latest'): Promise<ImageRecord> {
  return images.import(createReadStream(tarball), { repo, changes: BUSYBOX_CHANGES });
}

async function build(dest: string, busyboxBinary?: string): Promise<string> {
  if (await isFile(dest)) return dest;
  const busybox = busyboxBinary ?? hostTool('busybox');
  await assertStatic(busybox);
  const staging = `${dest}.staging-${randomBytes(4).toString('hex')}`;
  const tmpTar = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(join(staging, 'bin'), { recursive: true });
    await copyFile(busybox, join(staging, 'bin/busybox'));
    await chmod(join(staging, 'bin/busybox'), 0o755);
    const applets = (await runCommand(busybox, ['--list-full'])).split('\n').map((l) => l.trim()).filter(Boolean);
    for (const applet of applets) {
      // linuxrc is busybox's initrd entry point: no container image has it.
      if (applet === 'bin/busybox' || applet === 'linuxrc' || applet.includes('..')) continue;
      const link = join(staging, applet);
      await mkdir(dirname(link), { recursive: true });
      await symlink('/bin/busybox', link).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    }
    for (const dir of ['etc', 'root', 'var/spool/mail', 'var/www', 'home', 'proc', 'sys', 'dev', 'usr/sbin', 'usr/bin']) {
      await mkdir(join(staging, dir), { recursive: true });
    }
    await mkdir(join(staging, 'tmp'), { mode: 0o1777 });
    await chmod(join(staging, 'tmp'), 0o1777);
    await chmod(join(staging, 'root'), 0o700);
    await writeFile(join(staging, 'etc/passwd'), PASSWD);
    await writeFile(join(staging, 'etc/group'), GROUP);
    await writeFile(join(staging, 'etc/shadow'), 'root:*:10933:0:99999:7:::\nnobody:*:10933:0:99999:7:::\n', { mode: 0o640 });
    await runCommand(hostTool('tar'), ['--create', '--file', tmpTar, '--directory', staging,
      '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu', '.']);
    await rename(tmpTar, dest);
    return dest;
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(tmpTar, { force: true });
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A dynamically linked busybox would not run inside the image; say what to install instead. */
async function assertStatic(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    await fh.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) {
      throw new Error(`${path} is not a 64-bit little-endian ELF file`);
    }
    const phoff = Number(header.readBigUInt64LE(32));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    await fh.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const PT_INTERP = 3;
      if (table.readUInt32LE(i * phentsize) === PT_INTERP) {
        throw new Error(`${path} is dynamically linked; install busybox-static (apt-get install busybox-static)`);
      }
    }
  } finally {
    await fh.close();
  }
}
