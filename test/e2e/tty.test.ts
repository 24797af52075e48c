// Terminals end to end, with the real docker CLI on a pseudo-terminal (test/helpers/pty.ts), as a
// user types at it: the founding walkthrough's interactive `run -ti … sh` on host2 pinging mongo
// on host1 across the overlay, the terminal's size (ConsoleSize, then a resize), Ctrl-C, `exec
// -ti`, and the forms without a terminal (`-t` alone, `-i` alone, sig-proxy's kill).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { DOCKER, docker, dockerOk } from '../helpers/docker.js';
import { createTestLab, type TestLab } from '../helpers/lab.js';
import { foregroundJob, spawnPty, type PtySession } from '../helpers/pty.js';

const ENV = { ...process.env, DOCKER_CONFIG: '/tmp/weft-test-docker-config' };
const PROMPT = /\/ # $/;

async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('terminals through the real docker CLI', () => {
  let lab: TestLab;
  const sessions: PtySession[] = [];
  const ok = (host: string, args: string[], opts?: { input?: string }) => dockerOk(lab, host, args, opts);
  /** `docker -H <host> <args>` on a pseudo-terminal of rows×cols. */
  const onPty = (host: string, args: string[], rows = 30, cols = 100) => {
    const s = spawnPty([DOCKER, '-H', lab.host(host), ...args], { rows, cols, env: ENV });
    sessions.push(s);
    return s;
  };

  before(async () => {
    lab = await createTestLab('tty', { weftd: 'real' });
    await Promise.all([lab.createMachine('host1'), lab.createMachine('host2')]);
  });
  after(async () => {
    for (const s of sessions) await s.stop();
    await lab?.remove();
  });

  it('runs the walkthrough interactively: run -ti box on host2 pings mongo on host1 by name, exit ends it with rc 0', async () => {
    assert.match((await ok('host1', ['network', 'create', '-d', 'overlay', 'appnet'])).trim(), /^[0-9a-f]{64}$/);
    assert.match((await ok('host1', ['run', '-d', '--name', 'mongo', '--net=appnet', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/'])).trim(), /^[0-9a-f]{64}$/);

    const box = onPty('host2', ['run', '-ti', '--name', 'box', '--net=appnet', 'busybox', 'sh']);
    await box.expect(PROMPT);
    for (const name of ['mongo', 'mongo.appnet']) {
      box.write(`ping -c 3 ${name}\r`);
      const quoted = name.replace('.', '\\.');
      await box.expect(new RegExp(`ping -c 3 ${quoted}\\nPING ${quoted} \\(10\\.0\\.0\\.2\\)`));
      const replies = await box.expect(/((?:^64 bytes from 10\.0\.0\.2: seq=\d+ ttl=64 time=.*\n){3})/m);
      assert.equal(replies[1]!.trim().split('\n').length, 3);
      await box.expect(/^3 packets transmitted, 3 packets received, 0% packet loss$/m);
      await box.expect(PROMPT);
    }
    box.write('exit\r');
    assert.equal((await box.exited).code, 0, box.output.screen);
    assert.equal(await ok('host2', ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.Config.Tty}}', 'box']), 'exited 0 true\n');
    assert.equal((await ok('host1', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'mongo'])).trim(), '10.0.0.2');
  });

  it("sizes the terminal from the CLI's (ConsoleSize), follows its resizes, and Ctrl-C interrupts the foreground job only", async () => {
    const s = onPty('host2', ['run', '-ti', '--rm', '--name', 'sized', 'busybox', 'sh'], 30, 100);
    await s.expect(PROMPT);
    s.write('tty; stty size\r');
    await s.expect(/^\/dev\/pts\/0\n30 100$/m);
    await s.expect(PROMPT);
    // The CLI's SIGWINCH becomes POST /resize, and the container's foreground job gets SIGWINCH.
    s.write(`sh -c 'trap "stty size; exit" WINCH; echo trapped; while :; do sleep 0.1; done'\r`);
    await s.expect(/^trapped$/m);
    await s.resize(40, 120);
    await s.expect(/^40 120$/m);
    await s.expect(PROMPT);

    const pid = Number(await ok('host2', ['inspect', '-f', '{{.State.Pid}}', 'sized']));
    s.write('sleep 100\r');
    await eventually('sleep is the foreground job', () => foregroundJob(pid) === 'sleep');
    s.write('\x03');
    await s.expect(/\^C\n\/ # $/);
    s.write('echo status $?\r');
    await s.expect(/^status 130$/m);
    await s.expect(PROMPT);
    s.write('exit 7\r');
    assert.equal((await s.exited).code, 7, s.output.screen);
  });

  it('exec -ti: a shell on its own terminal in a running container, its exit code', async () => {
    const s = onPty('host1', ['exec', '-ti', 'mongo', 'sh'], 25, 90);
    await s.expect(PROMPT);
    s.write('tty; stty size; echo "TERM=$TERM"\r');
    await s.expect(/^\/dev\/pts\/\d+\n25 90\nTERM=xterm$/m);
    await s.expect(PROMPT);
    s.write('exit 5\r');
    assert.equal((await s.exited).code, 5, s.output.screen);
  });

  it('-t without -i: raw terminal output, no terminal needed at the CLI', async () => {
    const r = await docker(lab, 'host2', ['run', '--rm', '-t', 'busybox', 'sh', '-c', 'tty; echo out; echo err >&2; exit 3']);
    assert.deepEqual(r, { code: 3, stdout: '/dev/pts/0\r\nout\r\nerr\r\n', stderr: '' });
  });

  it('-i without -t: pipes, and the end of stdin is the end of the input', async () => {
    const r = await docker(lab, 'host2', ['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; tty || echo no-tty >&2'], { input: 'hello\nworld\n' });
    assert.deepEqual(r, { code: 0, stdout: 'hello\nworld\nnot a tty\n', stderr: 'no-tty\n' });
  });

  it('without a TTY, SIGINT to the CLI is proxied as POST /kill?signal=INT', async () => {
    const cli = spawn(DOCKER, ['-H', lab.host('host2'), 'run', '--rm', 'busybox', 'sh', '-c',
      'trap "echo got-INT; exit 42" INT; echo ready; while :; do sleep 0.2; done'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stdout = '';
      cli.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      cli.stderr.resume();
      const code = new Promise<number | null>((resolve) => cli.on('close', (c) => resolve(c)));
      await eventually('the container is ready', () => stdout.includes('ready\n'));
      cli.kill('SIGINT');
      assert.equal(await code, 42);
      assert.equal(stdout, 'ready\ngot-INT\n');
    } finally {
      if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
    }
  });
});
