// What to answer to one question, given the name lookup: a local answer (records or NXDOMAIN)
// or "forward it". No I/O, no encoding.
import { isIPv4, isIPv6 } from 'node:net';
import type { Answer, Question } from 'dns-packet';
import { type LookupResult, type NameLookup, sameResult } from './lookup.js';
import { ptrNameToIpv4, RCODE, type Rcode } from './messages.js';

/** Docker's TTL for its own names. */
export const LOCAL_TTL = 600;

export interface LocalAnswer {
  readonly kind: 'local';
  readonly rcode: Rcode;
  readonly answers: readonly Answer[];
  /** What the answer was built from, to tell later whether it still holds (see stillHolds). */
  readonly source: LookupResult | string;
  /** Set for a PTR answer: the address asked about. */
  readonly ptrIp: string | undefined;
}

export type Decision = LocalAnswer | { readonly kind: 'forward' };

const FORWARD: Decision = Object.freeze({ kind: 'forward' });

export function decide(lookup: NameLookup, asker: string, q: Question): Decision {
  // Weft's names exist only in class IN; anything else (e.g. CHAOS version.bind) is upstream's.
  if (q.class !== undefined && q.class !== 'IN') return FORWARD;
  if (q.type === 'PTR') {
    const ip = ptrNameToIpv4(q.name);
    if (ip !== undefined) {
      const target = lookup.reverse(asker, ip);
      if (target === undefined) return FORWARD;
      const answers: Answer[] = [{ type: 'PTR', name: q.name, ttl: LOCAL_TTL, data: target }];
      return { kind: 'local', rcode: RCODE.NOERROR, answers, source: target, ptrIp: ip };
    }
  }
  const result = lookup.lookup(asker, q.name);
  switch (result.kind) {
    case 'forward':
      return FORWARD;
    case 'nxdomain':
      return { kind: 'local', rcode: RCODE.NXDOMAIN, answers: [], source: result, ptrIp: undefined };
    case 'addresses':
      return { kind: 'local', rcode: RCODE.NOERROR, answers: addressRecords(q, result.addresses), source: result, ptrIp: undefined };
  }
}

/** Whether a cached answer built from `answer` is still what decide() would build now. */
export function stillHolds(lookup: NameLookup, asker: string, q: Question, cached: CachedSource): boolean {
  if (cached.ptrIp !== undefined) return lookup.reverse(asker, cached.ptrIp) === cached.source;
  const source = cached.source;
  return typeof source !== 'string' && sameResult(lookup.lookup(asker, q.name), source);
}

export interface CachedSource {
  readonly source: LookupResult | string;
  readonly ptrIp: string | undefined;
}

// An existing name with no records of the asked type is an empty NOERROR (RFC 2308 NODATA):
// that is how AAAA for an IPv4-only container is answered, and it tells the client the name
// exists, unlike NXDOMAIN.
function addressRecords(q: Question, addresses: readonly string[]): Answer[] {
  const type: string = q.type; // the typings lack ANY, which dns-packet decodes
  const wantV4 = type === 'A' || type === 'ANY';
  const wantV6 = type === 'AAAA' || type === 'ANY';
  const answers: Answer[] = [];
  for (const ip of addresses) {
    if (wantV4 && isIPv4(ip)) answers.push({ type: 'A', name: q.name, ttl: LOCAL_TTL, data: ip });
    else if (wantV6 && isIPv6(ip)) answers.push({ type: 'AAAA', name: q.name, ttl: LOCAL_TTL, data: ip });
  }
  return answers;
}

/** The answers rotated left by `by`: the round-robin order for the `by`-th query. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length < 2) return [...items];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
