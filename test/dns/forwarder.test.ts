// The forwarder's timing logic with a fake socket, fake timers and a fake clock: no network.
import assert from 'node:assert/strict';
import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import dnsPacket from 'dns-packet';
import { Forwarder } from '../../src/dns/forwarder.js';
import { parseUpstreams, UpstreamHealth } from '../../src/dns/upstreams.js';

class FakeSocket extends EventEmitter {
  readonly sent: { to: string; msg: Buffer }[] = [];
  failTo = new Set<string>();

  send(msg: Buffer, port: number, ip: string, cb: (err: Error | null) => void): void {
    const to = `${ip}:${port}`;
    this.sent.push({ to, msg });
    queueMicrotask(() => cb(this.failTo.has(to) ? new Error('ENETUNREACH') : null));
  }

  /** The upstream at `from` answers the last query it got, with `rcode`. */
  answer(from: string, rcode = 0): void {
    const last = [...this.sent].reverse().find((s) => s.to === from);
    assert.ok(last, `nothing was sent to ${from}`);
    const q = dnsPacket.decode(last.msg);
    const reply = dnsPacket.encode({ id: q.id, type: 'response', flags: rcode, questions: q.questions ?? [] });
    const [address, port] = from.split(':');
    this.emit('message', reply, { address, port: Number(port), family: 'IPv4', size: reply.length });
  }
}

const query = (id: number): Buffer => dnsPacket.encode({ id, type: 'query', questions: [{ type: 'A', name: 'example.test' }] });

describe('Forwarder', () => {
  let clock = 0;
  let socket: FakeSocket;

  beforeEach(() => {
    clock = 0;
    socket = new FakeSocket();
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => mock.timers.reset());

  function forwarder(specs: string[], opts: { timeoutMs?: number; budgetMs?: number; downForMs?: number } = {}) {
    const upstreams = parseUpstreams(specs);
    const health = new UpstreamHealth({ count: upstreams.length, downForMs: opts.downForMs ?? 5000, now: () => clock });
    const f = new Forwarder({
      socket: socket as unknown as dgram.Socket,
      upstreams,
      health,
      timeoutMs: opts.timeoutMs ?? 300,
      budgetMs: opts.budgetMs ?? 900,
      now: () => clock,
    });
    return { f, health };
  }

  function run(f: Forwarder, id: number) {
    const outcome: { answer?: Buffer; failed?: number } = {};
    f.forward(query(id), (r) => (outcome.answer = r), () => (outcome.failed = clock));
    return outcome;
  }

  async function advance(ms: number): Promise<void> {
    // Let send callbacks (microtasks) run, then move time on.
    await Promise.resolve();
    clock += ms;
    mock.timers.tick(ms);
    await Promise.resolve();
  }

  it('relays the answer with the client\'s id, having sent its own id upstream', async () => {
    const { f } = forwarder(['127.0.0.53']);
    const out = run(f, 0x4242);
    await advance(10);
    assert.equal(socket.sent.length, 1);
    socket.answer('127.0.0.53:53');
    assert.ok(out.answer);
    assert.equal(out.answer.readUInt16BE(0), 0x4242);
    assert.equal(f.inFlight, 0);
  });

  it('moves to the next upstream after the per-upstream timeout, and skips the dead one later', async () => {
    const { f, health } = forwarder(['127.0.0.54', '127.0.0.53']);
    const out = run(f, 1);
    await advance(299);
    assert.deepEqual(socket.sent.map((s) => s.to), ['127.0.0.54:53']);
    await advance(1);
    assert.deepEqual(socket.sent.map((s) => s.to), ['127.0.0.54:53', '127.0.0.53:53']);
    socket.answer('127.0.0.53:53');
    assert.ok(out.answer);
    assert.equal(health.isDown(0), true);

    const again = run(f, 2);
    await advance(1);
    assert.equal(socket.sent[2]?.to, '127.0.0.53:53');
    socket.answer('127.0.0.53:53');
    assert.ok(again.answer);
  });

  it('fails within the budget however many upstreams there are', async () => {
    const { f } = forwarder(['127.0.0.51', '127.0.0.52', '127.0.0.53', '127.0.0.54', '127.0.0.55']);
    const out = run(f, 1);
    for (let t = 0; t < 2000 && out.failed === undefined; t += 50) await advance(50);
    assert.equal(out.failed, 900);
    assert.equal(socket.sent.length, 3);
  });

  it('fails over at once on a send error or a REFUSED answer', async () => {
    socket.failTo.add('127.0.0.51:53');
    const { f } = forwarder(['127.0.0.51', '127.0.0.52', '127.0.0.53']);
    const out = run(f, 1);
    await advance(0);
    await advance(0);
    assert.deepEqual(socket.sent.map((s) => s.to), ['127.0.0.51:53', '127.0.0.52:53']);
    socket.answer('127.0.0.52:53', 5);
    assert.deepEqual(socket.sent.map((s) => s.to), ['127.0.0.51:53', '127.0.0.52:53', '127.0.0.53:53']);
    socket.answer('127.0.0.53:53');
    assert.ok(out.answer);
    assert.equal(clock, 0);
  });

  it('ignores answers from addresses the query was not sent to', async () => {
    const { f } = forwarder(['127.0.0.53']);
    const out = run(f, 1);
    await advance(1);
    const q = dnsPacket.decode(socket.sent[0]!.msg);
    const forged = dnsPacket.encode({ id: q.id, type: 'response', questions: q.questions ?? [] });
    socket.emit('message', forged, { address: '127.0.0.99', port: 53, family: 'IPv4', size: forged.length });
    assert.equal(out.answer, undefined);
    socket.answer('127.0.0.53:53');
    assert.ok(out.answer);
  });

  it('lets one probe at a time through when every upstream is down; the others fail at once', async () => {
    const { f, health } = forwarder(['127.0.0.53']);
    const first = run(f, 1);
    await advance(300);
    assert.equal(first.failed, 300);
    assert.equal(health.isDown(0), true);

    await advance(1000); // a failure counts as a probe: the next waits a full interval
    const probe = run(f, 2);
    const other = run(f, 3);
    await advance(0);
    assert.equal(other.failed, 1300, 'failed without waiting');
    assert.equal(probe.failed, undefined);
    socket.answer('127.0.0.53:53');
    assert.ok(probe.answer);
    assert.equal(health.isDown(0), false, 'the probe brought it back');
    const after = run(f, 4);
    await advance(1);
    socket.answer('127.0.0.53:53');
    assert.ok(after.answer);
  });

  it('probes a down upstream at most once a second, so queries one after another fail at once', async () => {
    const { f, health } = forwarder(['127.0.0.53']);
    const first = run(f, 1);
    await advance(300);
    assert.equal(first.failed, 300);
    assert.equal(health.isDown(0), true);
    // A client retrying one query after another: no probe within the interval.
    const next = run(f, 2);
    await advance(0);
    assert.equal(next.failed, 300, 'failed without waiting');
    const third = run(f, 3);
    await advance(0);
    assert.equal(third.failed, 300, 'failed without waiting');
    await advance(1000);
    const later = run(f, 4);
    await advance(0);
    assert.equal(later.failed, undefined, 'a new probe once the interval has passed');
    socket.answer('127.0.0.53:53');
    assert.ok(later.answer);
  });

  it('fails at once without upstreams, and fails what is in flight on close', async () => {
    const none = forwarder([]).f;
    const out = run(none, 1);
    assert.equal(out.failed, 0);
    const { f } = forwarder(['127.0.0.53']);
    const pending = run(f, 2);
    f.close();
    assert.equal(pending.failed, 0);
    assert.equal(run(f, 3).failed, 0);
  });
});
