// DNS messages in and out, through dns-packet. Nothing here knows where a message came from or
// where it goes; the resolver decides what to answer, these functions only encode it.
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Question } from 'dns-packet';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

export const HEADER_BYTES = 12;
const QR = 1 << 15;
const OPCODE_MASK = 0xf << 11;
const OPCODE_QUERY = 0;
const RCODE_MASK = 0xf;
/** Query bits a response carries over: opcode, RD and CD (RFC 1035 §4.1.1, RFC 4035 §3.2.2). */
const ECHOED_FLAGS = OPCODE_MASK | dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED;

/** Plain DNS over UDP (RFC 1035); larger only when the client's EDNS says so. */
const CLASSIC_UDP_LIMIT = 512;
/** What we offer and accept over UDP with EDNS: the DNS flag day 2020 figure, safe from fragmentation. */
export const EDNS_UDP_SIZE = 1232;

export interface Query {
  readonly id: number;
  /** Header flags without QR. */
  readonly flags: number;
  readonly question: Question;
  /** The client's EDNS UDP payload size; undefined when the query had no OPT record. */
  readonly ednsUdpSize: number | undefined;
}

export type Parsed =
  | { readonly kind: 'query'; readonly query: Query }
  /** Readable header but not a query we can answer: reply with this code. */
  | { readonly kind: 'error'; readonly id: number; readonly flags: number; readonly rcode: Rcode }
  /** No usable header, or a response (answering responses invites loops): stay silent. */
  | { readonly kind: 'drop' };

// Only the 12-byte header is read by hand (its layout is fixed); everything after it goes
// through dns-packet.
export function headerId(msg: Buffer): number {
  return msg.readUInt16BE(0);
}
export function headerFlags(msg: Buffer): number {
  return msg.readUInt16BE(2);
}
export function isResponse(msg: Buffer): boolean {
  return (headerFlags(msg) & QR) !== 0;
}
export function responseRcode(msg: Buffer): number {
  return headerFlags(msg) & RCODE_MASK;
}
/** Returns a copy of `msg` with another id; the copy is the caller's to keep. */
export function withId(msg: Buffer, id: number): Buffer {
  const copy = Buffer.from(msg);
  copy.writeUInt16BE(id, 0);
  return copy;
}

export function parseQuery(msg: Buffer): Parsed {
  if (msg.length < HEADER_BYTES) return { kind: 'drop' };
  if (isResponse(msg)) return { kind: 'drop' };
  const id = headerId(msg);
  const flags = headerFlags(msg);
  if ((flags & OPCODE_MASK) !== OPCODE_QUERY) return { kind: 'error', id, flags, rcode: RCODE.NOTIMP };
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(msg);
  } catch {
    return { kind: 'error', id, flags, rcode: RCODE.FORMERR };
  }
  const questions = packet.questions ?? [];
  const question = questions[0];
  if (questions.length !== 1 || question === undefined) return { kind: 'error', id, flags, rcode: RCODE.FORMERR };
  let ednsUdpSize: number | undefined;
  for (const rr of packet.additionals ?? []) {
    if (rr.type === 'OPT') ednsUdpSize = rr.udpPayloadSize;
  }
  return { kind: 'query', query: { id, flags, question, ednsUdpSize } };
}

export interface ResponseOptions {
  readonly rcode: Rcode;
  readonly answers?: readonly Answer[];
  /** Set AA: the answer comes from Weft's own names. */
  readonly authoritative?: boolean;
  /** Size limit of the transport; an answer that does not fit is sent truncated (TC, no records). */
  readonly udp?: boolean;
}

export function encodeResponse(query: Query, opts: ResponseOptions): Buffer {
  const base =
    (query.flags & ECHOED_FLAGS) | dnsPacket.RECURSION_AVAILABLE | (opts.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | opts.rcode;
  const additionals: Answer[] = [];
  if (query.ednsUdpSize !== undefined) {
    additionals.push({ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] });
  }
  const packet = { id: query.id, type: 'response' as const, flags: base, questions: [query.question], answers: [...(opts.answers ?? [])], additionals };
  const full = dnsPacket.encode(packet);
  if (!opts.udp || full.length <= udpLimit(query)) return full;
  return dnsPacket.encode({ ...packet, flags: base | dnsPacket.TRUNCATED_RESPONSE, answers: [] });
}

/** An error reply to a message we could not (or would not) parse: header only. */
export function encodeHeaderError(id: number, queryFlags: number, rcode: Rcode): Buffer {
  const flags = (queryFlags & ECHOED_FLAGS) | dnsPacket.RECURSION_AVAILABLE | rcode;
  return dnsPacket.encode({ id, type: 'response', flags, questions: [] });
}

function udpLimit(query: Query): number {
  if (query.ednsUdpSize === undefined) return CLASSIC_UDP_LIMIT;
  return Math.max(CLASSIC_UDP_LIMIT, Math.min(query.ednsUdpSize, EDNS_UDP_SIZE));
}

const IN_ADDR_ARPA = '.in-addr.arpa';
const OCTET = /^(?:0|[1-9][0-9]{0,2})$/;

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; undefined for anything that is not a full IPv4 PTR name. */
export function ptrNameToIpv4(name: string): string | undefined {
  const lower = name.toLowerCase();
  const trimmed = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (!trimmed.endsWith(IN_ADDR_ARPA)) return undefined;
  const octets = trimmed.slice(0, -IN_ADDR_ARPA.length).split('.');
  if (octets.length !== 4) return undefined;
  for (const o of octets) if (!OCTET.test(o) || Number(o) > 255) return undefined;
  return octets.reverse().join('.');
}
