// Pure IPv4 address math for IPAM. Addresses are unsigned 32-bit numbers so that ranges,
// containment and "next subnet" are plain arithmetic; ipaddr.js does the parsing and printing.
//
// Parsing is deliberately as strict as Go's net/netip, which moby uses: ipaddr.js on its own
// accepts "10.0.0/24" and octal "010.0.0.0", which dockerd rejects as invalid CIDR notation.

import ipaddr from 'ipaddr.js';

/** An IPv4 prefix. `addr` is kept as written, so it may still have host bits set. */
export interface Prefix4 {
  readonly addr: number;
  readonly bits: number;
}

const PREFIX_BITS = /^(?:0|[1-9][0-9]?)$/;

export function parseAddr4(text: string): number | undefined {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  const [a, b, c, d] = ipaddr.IPv4.parse(text).octets as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export function formatAddr4(addr: number): string {
  return ipaddr.fromByteArray([addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff]).toString();
}

export function parsePrefix4(text: string): Prefix4 | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return undefined;
  const bitsText = text.slice(slash + 1);
  if (!PREFIX_BITS.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > 32) return undefined;
  const addr = parseAddr4(text.slice(0, slash));
  return addr === undefined ? undefined : { addr, bits };
}

/** True for anything ipaddr.js reads as IPv6 (with or without a prefix length). */
export function isIPv6Text(text: string): boolean {
  return text.includes(':') && (ipaddr.IPv6.isValid(text) || ipaddr.IPv6.isValidCIDR(text));
}

export function formatPrefix4(p: Prefix4): string {
  return `${formatAddr4(p.addr)}/${p.bits}`;
}

export function blockSize(bits: number): number {
  return 2 ** (32 - bits);
}

/** The prefix with its host bits cleared. */
export function masked(p: Prefix4): Prefix4 {
  return { addr: firstAddr(p), bits: p.bits };
}

export function isMasked(p: Prefix4): boolean {
  return p.addr === firstAddr(p);
}

export function firstAddr(p: Prefix4): number {
  return p.addr - (p.addr % blockSize(p.bits));
}

export function lastAddr(p: Prefix4): number {
  return firstAddr(p) + blockSize(p.bits) - 1;
}

export function contains(p: Prefix4, addr: number): boolean {
  return addr >= firstAddr(p) && addr <= lastAddr(p);
}

export function overlaps(a: Prefix4, b: Prefix4): boolean {
  return firstAddr(a) <= lastAddr(b) && firstAddr(b) <= lastAddr(a);
}

/** Parse a prefix that this module wrote itself (stored pools); throws if it is not one. */
export function mustParsePrefix4(text: string): Prefix4 {
  const p = parsePrefix4(text);
  if (p === undefined) throw new Error(`not an IPv4 prefix: ${JSON.stringify(text)}`);
  return p;
}

export function mustParseAddr4(text: string): number {
  const a = parseAddr4(text);
  if (a === undefined) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  return a;
}
