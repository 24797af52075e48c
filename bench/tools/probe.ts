// A tiny probe that runs inside a container's (or the LAN's) network namespace, started as
//   nsenter -n -t <container pid> -- node dist/bench/tools/probe.js <mode> [--key value …]
// so that it reaches 127.0.0.11 there. It prints `ready` once its socket is bound and one JSON
// line with its result at the end, and always stops by itself (every mode has a deadline).
// Instants are CLOCK_MONOTONIC nanoseconds (process.hrtime), which the orchestrator shares.
//
// Modes:
//   poll     send an A query for --name every --interval-us (default 500 µs) until the first
//            answer with an A record; with --ping, then ICMP-ping the answered address until
//            the first echo reply (iputils ping in this namespace, exec'd by a shell started
//            before the polling, so no spawn is timed).
//   unknown  --count sequential queries for fresh random names (never cached), each waited for
//            up to --timeout-ms: the latency and rcode of each.
//   serial   one query in flight at a time for --seconds, cycling through --names: q/s and
//            latencies (dnsperf -q 1 idles ~10 ms between queries, so it cannot do this).
//   tcp      connect to --host:--port until it accepts (optionally send --send and wait for a
//            reply containing --expect): a readiness check for servers in the lab.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

const args = process.argv.slice(2);
const mode = args[0];
function opt(name: string, fallback?: string): string {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? args[i + 1] : fallback;
  if (v === undefined) throw new Error(`probe ${mode}: --${name} is required`);
  return v;
}
const flag = (name: string) => args.includes(`--${name}`);
const now = () => process.hrtime.bigint();
const emit = (o: unknown) => process.stdout.write(`${JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);

function query(name: string, id: number): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] });
}

const rcodeOf = (msg: Buffer) => msg.readUInt8(3) & 0x0f;
const ancountOf = (msg: Buffer) => msg.readUInt16BE(6);

function firstA(msg: Buffer): string | undefined {
  if (msg.length < 12 || rcodeOf(msg) !== 0 || ancountOf(msg) === 0) return undefined;
  try {
    const a = dnsPacket.decode(msg).answers?.find((r) => r.type === 'A');
    const data = a && 'data' in a ? (a as { data: unknown }).data : undefined;
    return typeof data === 'string' ? data : undefined;
  } catch {
    return undefined;
  }
}

// ---- poll ------------------------------------------------------------------------------------

async function poll(): Promise<void> {
  const server = opt('server', '127.0.0.11');
  const port = Number(opt('port', '53'));
  const name = opt('name');
  const intervalUs = Number(opt('interval-us', '500'));
  const deadlineMs = Number(opt('deadline-ms', '15000'));
  const ping = flag('ping') ? preparePing(deadlineMs) : undefined;
  // Node's first TCP connect costs ~5 ms of lazy set-up: pay it now, against this namespace's
  // own loopback (port 9 is closed), not in the timed part.
  if (ping) await tcpReach('127.0.0.1', now() + 1_000_000_000n);
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  // Ids are the query's sequence number (mod 2^16), so an answer names the send it answers.
  const template = query(name, 0);
  const sentAt = new Map<number, bigint>();
  let seq = 0;
  let done = false;
  let lastSend = 0n;
  let maxGapNs = 0n;
  let gapSumNs = 0n;
  let answered: { ip: string; at: bigint; sentAt: bigint | undefined } | undefined;
  const start = now();
  const deadline = start + BigInt(deadlineMs) * 1_000_000n;

  socket.on('message', (msg) => {
    if (done) return;
    const ip = firstA(msg);
    if (ip === undefined) return;
    const at = now();
    done = true;
    answered = { ip, at, sentAt: sentAt.get(msg.readUInt16BE(0)) };
  });

  // A timed sleep between sends that leaves the event loop free to take answers: Atomics.wait
  // blocks for ~interval (a futex with µs resolution, unlike timers' whole milliseconds), then
  // setImmediate lets the poll phase deliver whatever arrived before the next send.
  const sab = new Int32Array(new SharedArrayBuffer(4));
  const waitMs = (intervalUs * 0.8) / 1000;
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (done || now() > deadline) return resolve();
      const t = now();
      if (lastSend !== 0n) {
        const gap = t - lastSend;
        gapSumNs += gap;
        if (gap > maxGapNs) maxGapNs = gap;
      }
      lastSend = t;
      const id = seq++ & 0xffff;
      const wire = Buffer.from(template); // send() may read its buffer after returning
      wire.writeUInt16BE(id, 0);
      sentAt.set(id, t);
      socket.send(wire);
      Atomics.wait(sab, 0, 0, waitMs);
      setImmediate(tick);
    };
    socket.connect(port, server, tick);
  });
  socket.close();
  if (!answered) void ping?.(''); // let the waiting shell go: ping of no address fails at once
  const stats = { sent: seq, maxGapUs: Number(maxGapNs / 1000n), meanGapUs: seq > 1 ? Number(gapSumNs / BigInt(seq - 1) / 1000n) : null };
  if (!answered) {
    emit({ ok: false, why: `no A answer for ${name} within ${deadlineMs} ms`, startNs: start, ...stats });
    return;
  }
  let reachAt: bigint | undefined;
  let pingAt: bigint | undefined;
  let pingWhy: string | undefined;
  if (ping) {
    // In-process first (no process start in the way), then the real ping.
    reachAt = await tcpReach(answered.ip, deadline);
    const r = await ping(answered.ip);
    pingAt = r.at;
    pingWhy = r.why;
  }
  emit({ ok: true, ip: answered.ip, answerNs: answered.at, answeredQuerySentNs: answered.sentAt, reachNs: reachAt, pingNs: pingAt, pingWhy, startNs: start, ...stats });
}

/**
 * The first round trip to `ip` without starting a process: a TCP SYN to a closed port (9) is
 * answered by the peer's kernel with RST (ECONNREFUSED), which proves the path both ways just as
 * an echo reply does. A SYN that gets no answer is retried by the kernel only after a second, so
 * each attempt is abandoned after 2 ms and a new one made.
 */
async function tcpReach(ip: string, deadline: bigint): Promise<bigint | undefined> {
  while (now() < deadline) {
    const at = await new Promise<bigint | undefined>((resolve) => {
      const s = net.connect({ host: ip, port: 9 });
      const timer = setTimeout(() => {
        s.destroy();
        resolve(undefined);
      }, 2);
      const reached = () => {
        const t = now();
        clearTimeout(timer);
        s.destroy();
        resolve(t);
      };
      s.on('connect', reached); // something listens there: reached all the same
      s.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED') reached();
      });
    });
    if (at !== undefined) return at;
  }
  return undefined;
}

/**
 * iputils ping every 1 ms until the first echo reply; the instant its reply line arrives. The
 * shell that execs ping is started before the polling begins and only waits for the address on
 * its stdin, so the answer-to-first-echo time holds no process spawn from Node (several ms).
 */
function preparePing(deadlineMs: number): (ip: string) => Promise<{ at: bigint | undefined; why?: string }> {
  const seconds = Math.max(1, Math.ceil(deadlineMs / 1000));
  const child = spawn('sh', ['-c', `read ip && exec ping -n -c 1 -i 0.001 -w ${seconds} "$ip"`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let at: bigint | undefined;
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (at === undefined && / bytes from /.test(text + d)) at = now();
    text += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (text += d));
  const closed = new Promise<{ at: bigint | undefined; why?: string }>((resolve) => {
    child.on('close', () => resolve(at !== undefined ? { at } : { at, why: text.trim().split('\n').slice(-2).join(' ') || 'ping gave up' }));
    child.on('error', (err) => resolve({ at: undefined, why: err.message }));
  });
  return (ip: string) => {
    child.stdin.end(`${ip}\n`);
    return closed;
  };
}

// ---- unknown ---------------------------------------------------------------------------------

async function unknown(): Promise<void> {
  const server = opt('server', '127.0.0.11');
  const port = Number(opt('port', '53'));
  const count = Number(opt('count', '20'));
  const timeoutMs = Number(opt('timeout-ms', '5000'));
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => socket.connect(port, server, resolve));
  process.stdout.write('ready\n');
  const results: { ms: number | null; rcode: number | null }[] = [];
  for (let i = 0; i < count; i++) {
    const id = i & 0xffff;
    // A fresh name each time: no cache anywhere can have its answer.
    const name = `u${crypto.randomBytes(6).toString('hex')}.weft-bench.invalid`;
    const sent = now();
    const reply = await new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => {
        socket.off('message', onMessage);
        resolve(undefined);
      }, timeoutMs);
      const onMessage = (msg: Buffer) => {
        if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(msg);
      };
      socket.on('message', onMessage);
      socket.send(query(name, id));
    });
    results.push(reply ? { ms: Number(now() - sent) / 1e6, rcode: rcodeOf(reply) } : { ms: null, rcode: null });
  }
  socket.close();
  emit({ ok: true, results });
}

// ---- serial ---------------------------------------------------------------------------------

/** One query in flight at a time, for --seconds, cycling through --names: q/s and latencies. */
async function serial(): Promise<void> {
  const server = opt('server', '127.0.0.11');
  const port = Number(opt('port', '53'));
  const names = opt('names').split(',');
  const seconds = Number(opt('seconds', '2'));
  const wires = names.map((n) => query(n, 0));
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => socket.connect(port, server, resolve));
  process.stdout.write('ready\n');
  const latencies: number[] = [];
  let lost = 0;
  const start = now();
  const end = start + BigInt(Math.round(seconds * 1e9));
  for (let i = 0; now() < end; i++) {
    const id = i & 0xffff;
    const wire = Buffer.from(wires[i % wires.length]!);
    wire.writeUInt16BE(id, 0);
    const sent = now();
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        socket.off('message', onMessage);
        resolve(false);
      }, 1000);
      const onMessage = (msg: Buffer) => {
        if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(true);
      };
      socket.on('message', onMessage);
      socket.send(wire);
    });
    if (ok) latencies.push(Number(now() - sent) / 1e6);
    else lost++;
  }
  const elapsed = Number(now() - start) / 1e9;
  socket.close();
  latencies.sort((a, b) => a - b);
  const avg = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  emit({ ok: true, qps: latencies.length / elapsed, avgMs: avg, p99Ms: latencies[Math.floor(0.99 * (latencies.length - 1))] ?? null, completed: latencies.length, lost });
}

// ---- tcp -------------------------------------------------------------------------------------

async function tcp(): Promise<void> {
  const host = opt('host');
  const port = Number(opt('port'));
  const deadline = Date.now() + Number(opt('deadline-ms', '30000'));
  const send = args.includes('--send') ? opt('send') : undefined;
  const expect = args.includes('--expect') ? opt('expect') : undefined;
  process.stdout.write('ready\n');
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      let got = '';
      s.setTimeout(1000, () => s.destroy());
      s.on('connect', () => {
        if (send === undefined) {
          s.destroy();
          resolve(true);
        } else s.write(send);
      });
      s.on('data', (d) => (got += d.toString()));
      s.on('close', () => resolve(send !== undefined && expect !== undefined ? got.includes(expect) : send === undefined ? false : got !== ''));
      s.on('error', () => undefined);
    });
    if (ok) {
      emit({ ok: true });
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  emit({ ok: false, why: `${host}:${port} not ready` });
}

const modes: Record<string, () => Promise<void>> = { poll, unknown, serial, tcp };
const fn = mode === undefined ? undefined : modes[mode];
if (!fn) {
  process.stderr.write(`usage: probe.js poll|unknown|serial|tcp [--key value …]\n`);
  process.exit(2);
}
fn().then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ ok: false, why: String(err) });
    process.exit(1);
  },
);
