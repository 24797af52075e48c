// Unprivileged unit tests of the runtime's pure parts.

import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { isWeftError } from '../../src/errors.js';
import { mergeCreateConfig, processEnv } from '../../src/runtime/container-config.js';
import { humanDuration } from '../../src/runtime/docker-shapes.js';
import { EMPTY_IMAGE_CONFIG, type ImageConfig } from '../../src/runtime/image-config.js';
import { parseImageRef } from '../../src/runtime/image-ref.js';
import { sniffCompression } from '../../src/runtime/archive.js';
import { JsonLogWriter, readLogFile } from '../../src/runtime/logs.js';
import { generateName, validateName } from '../../src/runtime/names.js';
import { exitCodeFor, parseSignal } from '../../src/runtime/signals.js';
import { StdioHub } from '../../src/runtime/stdio-hub.js';
import { formatNs, formatNsTrimmed, parseApiTimestamp, parseRfc3339Ns } from '../../src/runtime/timestamps.js';
import type { RuntimeLogger } from '../../src/runtime/types.js';
import { collect } from './fixture.js';
import { pino } from 'pino';

const dir = mkdtempSync(join(tmpdir(), 'weft-units-'));
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('pino satisfies RuntimeLogger', () => {
  const logger: RuntimeLogger = pino({ level: 'silent' });
  logger.info({ a: 1 }, 'x');
});

describe('image references', () => {
  const familiar = (ref: string) => parseImageRef(ref)?.familiar ?? null;
  test('normalise like Docker', () => {
    assert.equal(familiar('busybox'), 'busybox:latest');
    assert.equal(familiar('busybox:1.36'), 'busybox:1.36');
    assert.equal(familiar('docker.io/library/busybox:latest'), 'busybox:latest');
    assert.equal(familiar('index.docker.io/library/busybox'), 'busybox:latest');
    assert.equal(familiar('library/busybox'), 'busybox:latest');
    assert.equal(familiar('netd/base'), 'netd/base:latest');
    assert.equal(familiar('docker.io/netd/base:2'), 'netd/base:2');
    assert.equal(familiar('localhost:5000/app:v1'), 'localhost:5000/app:v1');
    assert.equal(familiar('registry.example.com/a/b'), 'registry.example.com/a/b:latest');
  });
  test('reject what is not a name', () => {
    for (const bad of ['', 'Busybox', 'a@sha256:00', 'a:b:c', 'a b', '0'.repeat(64), `sha256:${'a'.repeat(64)}`, 'x:']) {
      assert.equal(parseImageRef(bad), null, bad);
    }
  });
});

describe('create config merge (moby rules)', () => {
  const image: ImageConfig = { ...EMPTY_IMAGE_CONFIG, Cmd: ['sh'], Entrypoint: ['/entry'], Env: ['PATH=/bin', 'A=1'], WorkingDir: '/srv', User: 'nobody' };
  test('an absent Cmd takes the image\'s; Entrypoint too', () => {
    const m = mergeCreateConfig({ image: 'x' }, image, 'host');
    assert.equal(m.path, '/entry');
    assert.deepEqual(m.args, ['sh']);
    assert.equal(m.config.workingDir, '/srv');
    assert.equal(m.config.user, 'nobody');
    assert.equal(m.config.hostname, 'host');
  });
  test('an overridden Entrypoint drops the image\'s Cmd; [] clears the Entrypoint', () => {
    assert.deepEqual(mergeCreateConfig({ image: 'x', entrypoint: ['/other'] }, image, 'h').args, []);
    const cleared = mergeCreateConfig({ image: 'x', entrypoint: [], cmd: ['ls', '-l'] }, image, 'h');
    assert.equal(cleared.path, 'ls');
    assert.deepEqual(cleared.args, ['-l']);
    assert.deepEqual(cleared.config.entrypoint, []);
    // The CLI sends `--entrypoint ""` as [""].
    assert.equal(mergeCreateConfig({ image: 'x', entrypoint: [''], cmd: ['ls'] }, image, 'h').path, 'ls');
  });
  test('Env merges over the image by key; errors are 400', () => {
    assert.deepEqual(mergeCreateConfig({ image: 'x', env: ['A=2', 'B=3'] }, image, 'h').config.env, ['PATH=/bin', 'A=2', 'B=3']);
    assert.throws(() => mergeCreateConfig({ image: 'x', entrypoint: [] }, EMPTY_IMAGE_CONFIG, 'h'),
      (e) => isWeftError(e, 'invalid') && (e as Error).message === 'No command specified');
    assert.throws(() => mergeCreateConfig({ image: 'x', workingDir: 'rel' }, image, 'h'), (e) => isWeftError(e, 'invalid'));
    assert.throws(() => mergeCreateConfig({ image: 'x', stopSignal: 'SIGNOPE' }, image, 'h'), (e) => isWeftError(e, 'invalid'));
  });
  test('process env: Docker defaults, then the container\'s', () => {
    const m = mergeCreateConfig({ image: 'x', env: ['HOME=/h'], tty: true }, { ...image, Env: null }, 'web');
    assert.deepEqual(processEnv(m.config, '/root'), [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=web', 'TERM=xterm', 'HOME=/h',
    ]);
    assert.ok(processEnv({ ...m.config, env: [] }, '/root').includes('HOME=/root'));
  });
});

describe('names', () => {
  test('generated names are adjective_surname and avoid taken ones', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const name = generateName((n) => taken.has(n));
      assert.match(name, /^[a-z]+_[a-z]+\d?$/);
      assert.ok(!taken.has(name));
      taken.add(name);
    }
  });
  test('validation', () => {
    assert.equal(validateName('/web'), 'web');
    assert.equal(validateName('a.b_c-1'), 'a.b_c-1');
    for (const bad of ['a', '-x', 'a b', 'x/y', '']) assert.throws(() => validateName(bad), (e) => isWeftError(e, 'invalid'), bad);
  });
});

describe('signals', () => {
  test('Docker\'s spellings', () => {
    assert.equal(parseSignal('SIGTERM'), 'SIGTERM');
    assert.equal(parseSignal('term'), 'SIGTERM');
    assert.equal(parseSignal('9'), 'SIGKILL');
    assert.equal(parseSignal('INT'), 'SIGINT');
    assert.throws(() => parseSignal('NOPE'), (e) => isWeftError(e, 'invalid'));
  });
  test('exit codes', () => {
    assert.equal(exitCodeFor(3, null), 3);
    assert.equal(exitCodeFor(null, 'SIGKILL'), 137);
    assert.equal(exitCodeFor(null, 'SIGTERM'), 143);
  });
});

describe('timestamps', () => {
  test('format and parse with nanoseconds', () => {
    const ns = 1_700_000_000_123_456_789n;
    assert.equal(formatNs(ns), '2023-11-14T22:13:20.123456789Z');
    assert.equal(parseRfc3339Ns(formatNs(ns)), ns);
    assert.equal(formatNsTrimmed(1_700_000_000_120_000_000n), '2023-11-14T22:13:20.12Z');
    assert.equal(formatNsTrimmed(1_700_000_000_000_000_000n), '2023-11-14T22:13:20Z');
    assert.equal(parseRfc3339Ns('2023-11-14T23:13:20.5+01:00'), 1_700_000_000_500_000_000n);
  });
  test('the API\'s since/until', () => {
    assert.equal(parseApiTimestamp('1700000000.000000001'), 1_700_000_000_000_000_001n);
    assert.equal(parseApiTimestamp('1700000000'), 1_700_000_000_000_000_000n);
    assert.equal(parseApiTimestamp('2023-11-14T22:13:20Z'), 1_700_000_000_000_000_000n);
  });
  test('humanDuration (docker/go-units)', () => {
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1000), '1 second');
    assert.equal(humanDuration(59_000), '59 seconds');
    assert.equal(humanDuration(60_000), 'About a minute');
    assert.equal(humanDuration(5 * 60_000), '5 minutes');
    assert.equal(humanDuration(3_600_000), 'About an hour');
    assert.equal(humanDuration(3 * 86_400_000), '3 days');
  });
});

test('compression is sniffed by magic bytes', () => {
  assert.equal(sniffCompression(Buffer.from([0x1f, 0x8b, 8])), 'gzip');
  assert.equal(sniffCompression(Buffer.from('BZh91AY')), 'bzip2');
  assert.equal(sniffCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
  assert.equal(sniffCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
  assert.equal(sniffCompression(Buffer.from('./\0\0\0')), 'none');
});

describe('json-file logs', () => {
  test('lines are split per stream, partial lines flushed at close, bytes kept exactly', async () => {
    const path = join(dir, 'a.log');
    const w = new JsonLogWriter(path);
    const live: string[] = [];
    let closed = false;
    w.subscribe((e) => live.push(`${e.stream}:${e.data.toString('latin1')}`), () => (closed = true));
    w.write('stdout', Buffer.from('one\ntw'));
    w.write('stderr', Buffer.from('err\n'));
    w.write('stdout', Buffer.from('o\nthree'));
    w.write('stdout', Buffer.from([0xff, 0xfe, 0x0a]));
    w.write('stderr', Buffer.from('no newline'));
    w.close();
    assert.ok(closed);
    const entries = await collect(readLogFile(path, readFileSync(path).length, {}));
    assert.deepEqual(entries.map((e) => `${e.stream}:${e.data.toString('latin1')}`), live);
    assert.deepEqual(entries.map((e) => e.data), [
      Buffer.from('one\n'), Buffer.from('err\n'), Buffer.from('two\n'), Buffer.concat([Buffer.from('three'), Buffer.from([0xff, 0xfe, 0x0a])]),
      Buffer.from('no newline'),
    ]);
    const first = JSON.parse(readFileSync(path, 'utf8').split('\n')[0]);
    assert.deepEqual(Object.keys(first), ['log', 'stream', 'time']);
    assert.equal(first.log, 'one\n');
    const tail = await collect(readLogFile(path, readFileSync(path).length, { tail: 2, stderr: false }));
    assert.deepEqual(tail.map((e) => e.data.subarray(0, 3).toString()), ['two', 'thr']);
    assert.ok(entries.every((e, i) => i === 0 || e.timeNs >= entries[i - 1].timeNs));
  });

  test('a line longer than 16 KiB is split', async () => {
    const path = join(dir, 'b.log');
    const w = new JsonLogWriter(path);
    w.write('stdout', Buffer.alloc(40 * 1024, 'x'));
    w.write('stdout', Buffer.from('\n'));
    w.close();
    const sizes = (await collect(readLogFile(path, readFileSync(path).length, {}))).map((e) => e.data.length);
    assert.deepEqual(sizes, [16384, 16384, 40 * 1024 - 32768 + 1]);
  });
});

describe('stdio hub', () => {
  test('stdin and its EOF before the process starts are delivered at start (StdinOnce)', async () => {
    const hub = new StdioHub(true);
    const a = hub.attach({ stdin: true, stdout: true });
    a.write(Buffer.from('hello'));
    a.endStdin();
    const stdin = new PassThrough();
    const received = collect(stdin);
    hub.bind(stdin);
    assert.equal(Buffer.concat(await received).toString(), 'hello');
    hub.broadcast('stdout', Buffer.from('out'));
    hub.broadcast('stderr', Buffer.from('err'));
    hub.processExited();
    assert.deepEqual((await collect(a.output)).map((c) => c.data.toString()), ['out']);
  });

  test('without StdinOnce, one attacher\'s EOF does not close the process\'s stdin', () => {
    const hub = new StdioHub(false);
    const stdin = new PassThrough();
    hub.bind(stdin);
    hub.attach({ stdin: true }).endStdin();
    assert.equal(stdin.writableEnded, false);
  });
});
