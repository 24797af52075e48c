// Privileged: Tty containers and exec instances on real pseudo-terminals (terminal.ts). What a
// user at `docker run -ti` / `docker exec -ti` relies on: a controlling terminal that is the
// container's own /dev/pts/N, its size (ConsoleSize, then resizes with SIGWINCH), echo, job
// control (Ctrl-C interrupts the foreground job, not the shell) and the shell's exit code.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ContainerCreateConfig } from '../../src/runtime/types.js';
import { shellQuote } from '../../src/runtime/terminal.js';
import { foregroundJob, procStat, TerminalOutput } from '../helpers/pty.js';
import { eventually, makeFixture, type RuntimeFixture } from './fixture.js';

let fx: RuntimeFixture;

before(async () => {
  fx = await makeFixture();
});

after(async () => {
  await fx?.cleanup();
});

const PROMPT = /\/ # $/m;

/** Creates, attaches (stdin when OpenStdin) and starts; the terminal's output goes to `out`. */
async function startTty(cfg: Partial<ContainerCreateConfig> & { cmd: string[] }) {
  const c = await fx.manager.create({ image: 'busybox', tty: true, ...cfg });
  const exited = fx.manager.wait(c.id, 'next-exit');
  const a = fx.manager.attach(c.id, { stdin: cfg.openStdin ?? false, stdout: true, stderr: true });
  const out = new TerminalOutput();
  void (async () => {
    for await (const chunk of a.output) out.push(chunk.data);
    out.end();
  })();
  await fx.manager.start(c.id);
  return { id: c.id, pid: fx.manager.get(c.id).state.pid, a, out, exited };
}

function childOf(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  assert.equal(children.length, 1, `children of ${pid}: ${children.join(' ')}`);
  return Number(children[0]);
}

describe('Tty containers', () => {
  test("PID 1's terminal is the container's own /dev/pts/0, sized by ConsoleSize, stderr merged", async () => {
    const { id, out, exited } = await startTty({
      cmd: ['sh', '-c', 'tty; stty size; ls -1 /dev/pts; echo to-stderr >&2; echo "TERM=$TERM"'],
      consoleSize: { rows: 30, cols: 100 },
    });
    assert.deepEqual(await exited, { StatusCode: 0 });
    // Output passes the terminal's line discipline: "\n" becomes "\r\n", stderr is merged.
    assert.equal(out.text, '/dev/pts/0\r\n30 100\r\n0\r\nptmx\r\nto-stderr\r\nTERM=xterm\r\n');
    const logged = [];
    for await (const e of fx.manager.logs(id)) logged.push(e);
    assert.deepEqual(logged.map((e) => e.stream), logged.map(() => 'stdout'));
  });

  test('an interactive shell as a session leader: echo, SIGWINCH on resize, Ctrl-C stops the foreground job only, exit code', async () => {
    const { id, pid, a, out, exited } = await startTty({
      cmd: ['sh'], openStdin: true, stdinOnce: true, consoleSize: { rows: 30, cols: 100 },
    });
    await out.expect(PROMPT);
    const [, , pgrp, session, ttyNr] = procStat(pid);
    assert.deepEqual([Number(pgrp), Number(session)], [pid, pid]);
    assert.notEqual(Number(ttyNr), 0);
    a.write(Buffer.from('stty size\r'));
    await out.expect(/stty size\n30 100$/m);
    await out.expect(PROMPT);
    await fx.manager.resize(id, { rows: 40, cols: 120 });
    a.write(Buffer.from('stty size\r'));
    await out.expect(/^40 120$/m);
    await out.expect(PROMPT);
    // The foreground job gets SIGWINCH.
    a.write(Buffer.from(`sh -c 'trap "echo got-winch; stty size; exit" WINCH; echo trapped; while :; do sleep 0.1; done'\r`));
    await out.expect(/^trapped$/m);
    await fx.manager.resize(id, { rows: 41, cols: 121 });
    await out.expect(/^got-winch\n41 121$/m);
    await out.expect(PROMPT);
    a.write(Buffer.from('sleep 100\r'));
    await eventually(() => foregroundJob(pid) === 'sleep', 'sleep to be the foreground job');
    a.write(Buffer.from('\x03'));
    await out.expect(/\^C\n\/ # $/);
    // The job died of SIGINT (130); the shell lives on.
    a.write(Buffer.from('echo status $?\r'));
    await out.expect(/^status 130$/m);
    await out.expect(PROMPT);
    a.write(Buffer.from('exit 3\r'));
    assert.deepEqual(await exited, { StatusCode: 3 });
  });

  test('-t without -i: the program gets no end of input (a `-dt sh` keeps running)', async () => {
    const { id, out } = await startTty({ cmd: ['sh'] });
    await out.expect(PROMPT);
    // An exec runs to its end meanwhile; an EOF on the terminal would have ended the shell.
    const probe = await fx.manager.exec(id, { cmd: ['sh', '-c', 'sleep 0.3; echo probe-done'] });
    let probed = '';
    probe.stdout.on('data', (b: Buffer) => (probed += b.toString()));
    probe.stderr.resume();
    assert.equal(await probe.exited, 0);
    assert.equal(probed, 'probe-done\n');
    assert.equal(fx.manager.get(id).state.status, 'running');
    await fx.manager.remove(id, { force: true });
  });

  test('-i -t: the end of stdin (StdinOnce) is an end of file on the terminal', async () => {
    const { a, out, exited } = await startTty({ cmd: ['cat'], openStdin: true, stdinOnce: true });
    a.write(Buffer.from('hello\r'));
    await out.expect(/^hello\nhello$/m); // the terminal's echo, then cat's copy
    a.endStdin();
    assert.deepEqual(await exited, { StatusCode: 0 });
  });

  test('resizing a container without a Tty, or one that has exited, does nothing', async () => {
    const plain = await fx.manager.create({ image: 'busybox', cmd: ['sleep', '100'] });
    await fx.manager.start(plain.id);
    await fx.manager.resize(plain.id, { rows: 10, cols: 10 });
    await fx.manager.remove(plain.id, { force: true });
    const { id, exited } = await startTty({ cmd: ['true'] });
    await exited;
    await fx.manager.resize(id, { rows: 10, cols: 10 });
  });
});

describe('Tty exec', () => {
  test("a shell in a container without a Tty: its own pty there, the relay outside the container's processes", async () => {
    const c = await fx.manager.create({ image: 'busybox', cmd: ['sleep', '1000'] });
    await fx.manager.start(c.id);
    const p = await fx.manager.exec(c.id, { cmd: ['sh'], attachStdin: true, tty: true, consoleSize: { rows: 25, cols: 90 } });
    const out = new TerminalOutput();
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => out.push(b));
    void p.exited.then(() => out.end());
    await out.expect(PROMPT);
    p.stdin!.write('tty; stty size; echo "TERM=$TERM"; ps -o pid,sid,comm\r');
    const m = await out.expect(/^(\/dev\/pts\/\d+)\n25 90\nTERM=xterm\nPID +SID +COMMAND\n([^]*?)\/ # $/m);
    const procs = m[2]!.trim().split('\n').map((l) => l.trim().split(/\s+/));
    // PID 1, the shell (a session of its own) and ps: no relay, no nsenter.
    assert.deepEqual(procs.map((p) => p[2]), ['sleep', 'sh', 'ps']);
    assert.equal(procs[1]![0], procs[1]![1]);
    // On the host: the relay (script), its nsenter, and the shell under them.
    const shellPid = childOf(childOf(p.hostPid));
    await p.resize({ rows: 50, cols: 150 });
    p.stdin!.write('stty size; sleep 100\r');
    await out.expect(/^50 150$/m);
    await eventually(() => foregroundJob(shellPid) === 'sleep', 'sleep to be the foreground job');
    p.stdin!.write('\x03');
    await out.expect(PROMPT);
    p.stdin!.write('exit 4\r');
    assert.equal(await p.exited, 4);
    await p.resize({ rows: 10, cols: 10 }); // gone: nothing to do
    await fx.manager.remove(c.id, { force: true });
  });

  test('-t without -i: output and stderr through the terminal, the exit code kept', async () => {
    const c = await fx.manager.create({ image: 'busybox', cmd: ['sleep', '1000'] });
    await fx.manager.start(c.id);
    const p = await fx.manager.exec(c.id, { cmd: ['sh', '-c', 'echo out; echo err >&2; exit 2'], tty: true });
    let text = '';
    p.stdout.on('data', (b: Buffer) => (text += b.toString()));
    p.stderr.on('data', (b: Buffer) => (text += b.toString()));
    assert.equal(await p.exited, 2);
    assert.equal(text, 'out\r\nerr\r\n');
    await fx.manager.remove(c.id, { force: true });
  });
});

describe('shellQuote', () => {
  test('any argument survives sh -c', () => {
    for (const arg of ["it's", '$HOME `x` "q"', 'a\nb', '', "'"]) {
      assert.equal(execFileSync('sh', ['-c', `printf %s ${shellQuote(arg)}`], { encoding: 'utf8' }), arg);
    }
  });
});
