// The resolver's presence in one container: its sockets, its answer cache and its forwarder,
// and the path every query takes. Every query ends in an answer, except messages whose header
// cannot be read (or that are responses), which are dropped.
import type dgram from 'node:dgram';
import type net from 'node:net';
import type { NetnsSockets } from '../dataplane/netns-socket.js';
import { AnswerCache, type CachedAnswer, RoundRobin } from './answer-cache.js';
import { decide, rotate, stillHolds } from './decide.js';
import { Forwarder } from './forwarder.js';
import type { Logger } from './logger.js';
import type { NameLookup } from './lookup.js';
import {
  encodeHeaderError,
  encodeResponse,
  HEADER_BYTES,
  headerFlags,
  headerId,
  isResponse,
  parseQuery,
  type Query,
  RCODE,
  type Rcode,
  withId,
} from './messages.js';
import { serveTcpConnection } from './tcp.js';
import type { Upstream, UpstreamHealth } from './upstreams.js';

/** Counters since the resolver started, across every container. */
export interface ResolverStats {
  queries: number;
  /** Answered from Weft's own names (records, empty NOERROR or NXDOMAIN). */
  local: number;
  /** ...of which were served from the answer cache. */
  cached: number;
  nxdomain: number;
  forwarded: number;
  /** Upstream answers relayed. */
  relayed: number;
  servfail: number;
  /** FORMERR/NOTIMP replies to queries we could not use. */
  rejected: number;
  /** Messages without a readable header, or responses: no reply. */
  dropped: number;
  /** Queries whose handling threw (answered SERVFAIL when the header allowed it). */
  internalErrors: number;
}

export function emptyStats(): ResolverStats {
  return { queries: 0, local: 0, cached: 0, nxdomain: 0, forwarded: 0, relayed: 0, servfail: 0, rejected: 0, dropped: 0, internalErrors: 0 };
}

export interface AttachmentOptions {
  readonly asker: string;
  readonly nsPath: string;
  readonly sockets: NetnsSockets;
  readonly lookup: NameLookup;
  readonly upstreams: readonly Upstream[];
  readonly health: UpstreamHealth;
  readonly upstreamTimeoutMs: number;
  readonly queryBudgetMs: number;
  readonly now: () => number;
  readonly stats: ResolverStats;
  readonly logger: Logger;
}

/** Round-robin needs one encoding per rotation; past this many records the rotation repeats. */
const MAX_ROTATIONS = 64;
const TCP_IDLE_MS = 10_000;
const TCP_MAX_OUTSTANDING = 64;
const TCP_MAX_CONNECTIONS = 128;

type Reply = (response: Buffer | undefined) => void;

export class Attachment {
  readonly asker: string;
  readonly nsPath: string;
  private readonly cache = new AnswerCache();
  private readonly roundRobin = new RoundRobin();
  private readonly forwarder: Forwarder;
  private readonly connections = new Set<net.Socket>();
  private closed = false;

  constructor(private readonly opts: AttachmentOptions) {
    this.asker = opts.asker;
    this.nsPath = opts.nsPath;
    const { udp, tcp, upstream } = opts.sockets;
    this.forwarder = new Forwarder({
      socket: upstream,
      upstreams: opts.upstreams,
      health: opts.health,
      timeoutMs: opts.upstreamTimeoutMs,
      budgetMs: opts.queryBudgetMs,
      now: opts.now,
    });
    const onSocketError = (which: string) => (err: Error) =>
      opts.logger.warn({ asker: opts.asker, socket: which, err: err.message }, 'DNS socket error');
    udp.on('error', onSocketError('udp'));
    upstream.on('error', onSocketError('upstream'));
    tcp.on('error', onSocketError('tcp'));
    udp.on('message', (msg, rinfo) => this.onUdp(udp, msg, rinfo));
    tcp.on('connection', (socket) => this.onTcp(socket));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.forwarder.close();
    for (const c of this.connections) c.destroy();
    const { udp, tcp, upstream } = this.opts.sockets;
    await Promise.all([
      new Promise<void>((resolve) => udp.close(() => resolve())),
      new Promise<void>((resolve) => upstream.close(() => resolve())),
      new Promise<void>((resolve) => tcp.close(() => resolve())),
    ]);
  }

  private onUdp(udp: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const reply: Reply = (response) => {
      if (response !== undefined && !this.closed) udp.send(response, rinfo.port, rinfo.address);
    };
    this.answer(msg, true, reply);
  }

  private onTcp(socket: net.Socket): void {
    if (this.closed || this.connections.size >= TCP_MAX_CONNECTIONS) {
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    serveTcpConnection(socket, (msg, reply) => this.answer(msg, false, reply), {
      idleMs: TCP_IDLE_MS,
      maxOutstanding: TCP_MAX_OUTSTANDING,
    });
  }

  private answer(msg: Buffer, udp: boolean, reply: Reply): void {
    const stats = this.opts.stats;
    stats.queries++;
    try {
      // UDP only: the cached encodings are already cut to UDP's size limit.
      const key = udp && msg.length >= HEADER_BYTES && !isResponse(msg) ? AnswerCache.keyOf(msg) : undefined;
      if (key !== undefined) {
        const hit = this.fromCache(key, msg);
        if (hit !== undefined) {
          reply(hit);
          return;
        }
      }
      this.answerFresh(msg, udp, key, reply);
    } catch (err) {
      stats.internalErrors++;
      this.opts.logger.error({ asker: this.asker, err: err instanceof Error ? err.message : String(err) }, 'DNS query handling failed');
      reply(msg.length >= HEADER_BYTES && !isResponse(msg) ? encodeHeaderError(headerId(msg), headerFlags(msg), RCODE.SERVFAIL) : undefined);
    }
  }

  private fromCache(key: string, msg: Buffer): Buffer | undefined {
    const entry = this.cache.get(key);
    if (entry === undefined) return undefined;
    if (!stillHolds(this.opts.lookup, this.asker, entry.query.question, entry.answer)) {
      this.cache.delete(key);
      return undefined;
    }
    this.countLocal(entry.answer.rcode);
    this.opts.stats.cached++;
    return withId(this.nextRotation(entry), headerId(msg));
  }

  private answerFresh(msg: Buffer, udp: boolean, key: string | undefined, reply: Reply): void {
    const stats = this.opts.stats;
    const parsed = parseQuery(msg);
    if (parsed.kind === 'drop') {
      stats.dropped++;
      reply(undefined);
      return;
    }
    if (parsed.kind === 'error') {
      stats.rejected++;
      reply(encodeHeaderError(parsed.id, parsed.flags, parsed.rcode));
      return;
    }
    const query = parsed.query;
    const decision = decide(this.opts.lookup, this.asker, query.question);
    if (decision.kind === 'forward') {
      stats.forwarded++;
      this.forwarder.forward(
        msg,
        (response) => {
          stats.relayed++;
          reply(response);
        },
        () => {
          stats.servfail++;
          reply(this.encodeOrServfail(query, RCODE.SERVFAIL, udp));
        },
      );
      return;
    }
    this.countLocal(decision.rcode);
    const entry: CachedAnswer = {
      query,
      answer: decision,
      udp,
      rotations: new Array<Buffer | undefined>(Math.max(1, Math.min(decision.answers.length, MAX_ROTATIONS))),
      turn: this.roundRobin.turnFor(query.question.type, query.question.name),
    };
    const response = this.nextRotation(entry);
    if (key !== undefined) this.cache.set(key, entry);
    reply(response);
  }

  /** The next round-robin encoding; never to be modified (it stays in the cache). */
  private nextRotation(entry: CachedAnswer): Buffer {
    const i = entry.turn.next % entry.rotations.length;
    entry.turn.next = i + 1;
    let encoded = entry.rotations[i];
    if (encoded === undefined) {
      const answers = rotate(entry.answer.answers, i);
      encoded = encodeResponse(entry.query, { rcode: entry.answer.rcode, answers, authoritative: true, udp: entry.udp });
      entry.rotations[i] = encoded;
    }
    return encoded;
  }

  private countLocal(rcode: Rcode): void {
    this.opts.stats.local++;
    if (rcode === RCODE.NXDOMAIN) this.opts.stats.nxdomain++;
  }

  // The question is echoed from a query dns-packet decoded; should it not re-encode, the header
  // alone still carries the verdict.
  private encodeOrServfail(query: Query, rcode: Rcode, udp: boolean): Buffer {
    try {
      return encodeResponse(query, { rcode, udp });
    } catch {
      return encodeHeaderError(query.id, query.flags, rcode);
    }
  }
}
