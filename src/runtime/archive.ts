// Root filesystem archives: recognise the compression by its magic bytes and unpack with the
// system tar, keeping numeric owners and permissions (weftd runs as root).

import { open } from 'node:fs/promises';
import { invalid } from '../errors.js';
import { CommandError, hostTool, runCommand } from './os-commands.js';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

const MAGIC: ReadonlyArray<readonly [Compression, readonly number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

export function sniffCompression(head: Uint8Array): Compression {
  for (const [kind, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
  }
  return 'none';
}

const TAR_FLAG: Record<Compression, string | null> = {
  none: null,
  gzip: '--gzip',
  bzip2: '--bzip2',
  xz: '--xz',
  zstd: '--zstd',
};

export async function sniffFile(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead === 0) throw invalid('the archive is empty');
    return sniffCompression(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Unpacks an archive into an existing empty directory; a malformed archive is a 400. */
export async function extractArchive(archive: string, dest: string): Promise<void> {
  const compression = await sniffFile(archive);
  const flag = TAR_FLAG[compression];
  const args = ['--extract', '--file', archive, '--directory', dest, '--numeric-owner',
    '--same-owner', '--same-permissions', ...(flag ? [flag] : [])];
  try {
    await runCommand(hostTool('tar'), args);
  } catch (err) {
    if (err instanceof CommandError) {
      throw invalid(`failed to unpack the image (${compression === 'none' ? 'tar' : compression}): ${err.stderr.trim()}`, err);
    }
    throw err;
  }
}
