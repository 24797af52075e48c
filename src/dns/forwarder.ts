// Forwards queries that are not ours to the upstream resolvers, over one UDP socket.
//
// One Forwarder per container: its socket lives in the container's network namespace, so a
// forwarded query leaves from the container and goes wherever the container's routes take it,
// as with Docker's embedded DNS. That is also what keeps test traffic inside the test's own
// namespaces.
//
// Every query ends in exactly one of deliver() or fail(), within `budgetMs`: each upstream gets
// at most `timeoutMs` (less when the budget runs short), and a query no upstream answered in
// time ends in fail(), which the resolver turns into SERVFAIL. Queries carry a fresh id of ours
// upstream, so that two clients that picked the same id cannot get each other's answers; the
// client's id is put back on the way out.
//
// Upstream traffic is UDP only, also for queries that came over TCP: the socket is made once per
// container, and a TCP connection from the container's namespace per query would need the
// namespace switch per query. An upstream answer truncated for UDP reaches a TCP client as it is.
import type dgram from 'node:dgram';
import { headerId, HEADER_BYTES, isResponse, RCODE, responseRcode, withId } from './messages.js';
import { type Upstream, UpstreamHealth } from './upstreams.js';

export interface ForwarderOptions {
  readonly socket: dgram.Socket;
  readonly upstreams: readonly Upstream[];
  readonly health: UpstreamHealth;
  readonly timeoutMs: number;
  readonly budgetMs: number;
  readonly now: () => number;
}

interface Pending {
  readonly wireId: number;
  readonly clientId: number;
  readonly wire: Buffer;
  readonly deadline: number;
  readonly deliver: (response: Buffer) => void;
  readonly fail: () => void;
  tried: number;
  current: number;
  timer: NodeJS.Timeout | undefined;
}

/** Leaves room for the ids of late answers still to be matched. */
const MAX_IN_FLIGHT = 50_000;

export class Forwarder {
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(private readonly opts: ForwarderOptions) {
    opts.socket.on('message', (msg, rinfo) => this.onResponse(msg, rinfo));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends `query` (a whole DNS message; it is copied) upstream. Exactly one of the callbacks is
   * called, later or at once.
   */
  forward(query: Buffer, deliver: (response: Buffer) => void, fail: () => void): void {
    if (this.closed || this.opts.upstreams.length === 0 || this.pending.size >= MAX_IN_FLIGHT) {
      fail();
      return;
    }
    const wireId = this.freeId();
    const p: Pending = {
      wireId,
      clientId: headerId(query),
      wire: withId(query, wireId),
      deadline: this.opts.now() + this.opts.budgetMs,
      deliver,
      fail,
      tried: 0,
      current: -1,
      timer: undefined,
    };
    this.pending.set(wireId, p);
    this.tryNext(p);
  }

  /** Fails every query in flight; later forward() calls fail at once. */
  close(): void {
    this.closed = true;
    for (const p of [...this.pending.values()]) {
      if (p.current >= 0) this.opts.health.abandoned(p.current);
      this.finish(p);
      p.fail();
    }
  }

  private tryNext(p: Pending): void {
    const remaining = p.deadline - this.opts.now();
    const next = remaining > 0 ? this.opts.health.pick(p.tried) : -1;
    if (next < 0) {
      this.finish(p);
      p.fail();
      return;
    }
    const upstream = this.opts.upstreams[next]!;
    p.current = next;
    p.tried |= 1 << next;
    p.timer = setTimeout(() => this.attemptFailed(p, next), Math.min(this.opts.timeoutMs, remaining));
    this.opts.socket.send(p.wire, upstream.port, upstream.ip, (err) => {
      // An unreachable network or a full socket buffer fails now rather than after the timeout.
      if (err) this.attemptFailed(p, next);
    });
  }

  private attemptFailed(p: Pending, index: number): void {
    if (this.pending.get(p.wireId) !== p || p.current !== index) return;
    clearTimeout(p.timer);
    p.timer = undefined;
    this.opts.health.failed(index);
    this.tryNext(p);
  }

  private onResponse(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < HEADER_BYTES || !isResponse(msg)) return;
    const p = this.pending.get(headerId(msg));
    if (p === undefined) return;
    const from = this.upstreamIndex(rinfo, p.tried);
    if (from < 0) return; // not from an upstream this query was sent to: ignore, keep waiting
    if (responseRcode(msg) === RCODE.REFUSED) {
      // A resolver that refuses us will refuse the next query too; ask the next one.
      if (from === p.current) this.attemptFailed(p, from);
      return;
    }
    // A late answer from an upstream that already timed out is still the answer.
    if (from === p.current) this.opts.health.answered(from);
    else this.opts.health.abandoned(p.current);
    this.finish(p);
    msg.writeUInt16BE(p.clientId, 0);
    p.deliver(msg);
  }

  private upstreamIndex(rinfo: dgram.RemoteInfo, tried: number): number {
    const ups = this.opts.upstreams;
    for (let i = 0; i < ups.length; i++) {
      if ((tried & (1 << i)) !== 0 && ups[i]!.port === rinfo.port && ups[i]!.ip === rinfo.address) return i;
    }
    return -1;
  }

  private finish(p: Pending): void {
    clearTimeout(p.timer);
    p.timer = undefined;
    this.pending.delete(p.wireId);
  }

  private freeId(): number {
    for (;;) {
      const id = Math.floor(Math.random() * 0x10000);
      if (!this.pending.has(id)) return id;
    }
  }
}
