// A DNS client and a fake upstream resolver for the tests, both on sockets inside a test
// namespace (see netns.ts), both through dns-packet.
import dgram from 'node:dgram';
import dnsPacket, { type DecodedPacket, type Packet } from 'dns-packet';
import { loadNetnsAddon } from '../../../src/dataplane/netns-socket.js';
import type { Netns } from './netns.js';

/** A decoded reply, typed for what the tests read (the dns-packet typings lack some of it). */
export interface Reply {
  readonly id: number;
  readonly rcode: string;
  readonly flag_qr: boolean;
  readonly flag_aa: boolean;
  readonly flag_tc: boolean;
  readonly flag_rd: boolean;
  readonly flag_ra: boolean;
  readonly questions: readonly { name: string; type: string; class: string }[];
  readonly answers: readonly { name: string; type: string; ttl: number; data: unknown }[];
  readonly additionals: readonly { type: string }[];
}

export function decodeReply(msg: Buffer): Reply {
  return dnsPacket.decode(msg) as unknown as Reply;
}

let nextId = 1;

export function queryPacket(name: string, type: 'A' | 'AAAA' | 'PTR' | 'MX' | 'TXT' = 'A', extra: Partial<Packet> = {}): Packet {
  nextId = (nextId % 65535) + 1;
  return { id: nextId, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }], ...extra };
}

/**
 * Sends `msg` to 127.0.0.11:53 from `socket` and resolves with the first reply carrying the same
 * id, or undefined if none came within `waitMs` (only for tests that expect silence or that
 * protect themselves against a hang; nothing asserts on how long an answer took).
 */
export function exchange(socket: dgram.Socket, msg: Buffer, waitMs = 3000, to = { ip: '127.0.0.11', port: 53 }): Promise<Buffer | undefined> {
  const id = msg.length >= 2 ? msg.readUInt16BE(0) : -1;
  return new Promise((resolve) => {
    const onMessage = (reply: Buffer): void => {
      if (reply.length >= 2 && reply.readUInt16BE(0) === id) done(reply);
    };
    const timer = setTimeout(() => done(undefined), waitMs);
    const done = (reply: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(reply);
    };
    socket.on('message', onMessage);
    socket.send(msg, to.port, to.ip);
  });
}

export async function ask(socket: dgram.Socket, packet: Packet, waitMs = 3000): Promise<Reply> {
  const reply = await exchange(socket, dnsPacket.encode(packet), waitMs);
  if (reply === undefined) throw new Error(`no reply to ${packet.questions?.[0]?.name ?? '?'} within ${waitMs} ms`);
  return decodeReply(reply);
}

export type UpstreamMode = 'answer' | 'refuse' | 'silent';

/** A stand-in for the host's resolver, on `ip`:53 inside the test namespace. */
export class FakeUpstream {
  /** Queries received, by lower-case name. */
  readonly seen = new Map<string, number>();
  private readonly socket: dgram.Socket;

  constructor(
    ns: Netns,
    readonly ip: string,
    public mode: UpstreamMode,
    private readonly records: Readonly<Record<string, string>> = {},
  ) {
    const load = loadNetnsAddon();
    if ('error' in load) throw load.error;
    this.socket = dgram.createSocket('udp4');
    this.socket.bind({ fd: load.addon.bindInNetns(ns.path, 'udp', ip, 53) });
    this.socket.on('message', (msg, rinfo) => this.onQuery(msg, rinfo));
  }

  count(name: string): number {
    return this.seen.get(name.toLowerCase()) ?? 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }

  private onQuery(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (q === undefined) return;
    const name = q.name.toLowerCase();
    this.seen.set(name, (this.seen.get(name) ?? 0) + 1);
    if (this.mode === 'silent') return;
    const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE;
    const ip = this.records[name];
    const rcode = this.mode === 'refuse' ? 5 : ip === undefined ? 3 : 0;
    const answers = rcode === 0 && q.type === 'A' && ip !== undefined ? [{ type: 'A' as const, name: q.name, ttl: 30, data: ip }] : [];
    const reply = dnsPacket.encode({ id: query.id, type: 'response', flags: flags | rcode, questions: [q], answers });
    this.socket.send(reply, rinfo.port, rinfo.address);
  }
}
