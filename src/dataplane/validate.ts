// Every value that reaches a batch's stdin is checked here first: a batch is a command language,
// so a name with a space or newline in it would be a second command.
import { invalid } from '../errors.js';

const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
const NETNS = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function ifName(name: string): string {
  if (!IFNAME.test(name)) throw invalid(`invalid interface name ${JSON.stringify(name)} (1-15 of [A-Za-z0-9_.-])`);
  return name;
}

export function netnsName(name: string): string {
  if (!NETNS.test(name)) throw invalid(`invalid network namespace name ${JSON.stringify(name)}`);
  return name;
}

export function optionalNetns(name: string | undefined): string | undefined {
  return name === undefined ? undefined : netnsName(name);
}

/** Parses dotted-quad IPv4 into its four octets. */
export function ipv4Octets(ip: string): [number, number, number, number] {
  const parts = ip.split('.');
  const octets = parts.map((p) => (/^(0|[1-9][0-9]{0,2})$/.test(p) ? Number(p) : NaN));
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) throw invalid(`invalid IPv4 address ${JSON.stringify(ip)}`);
  return octets as [number, number, number, number];
}

export function ipv4(ip: string): string {
  ipv4Octets(ip);
  return ip;
}

export interface Cidr4 {
  readonly ip: string;
  readonly prefixLen: number;
}

export function cidr4(cidr: string): Cidr4 {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr);
  const prefixLen = m ? Number(m[2]) : NaN;
  if (!m || !(prefixLen >= 0 && prefixLen <= 32)) throw invalid(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  return { ip: ipv4(m[1] as string), prefixLen };
}

/** `172.17.0.5/16` → `172.17.0.0/16`, the form iptables-save prints. */
export function networkCidr(cidr: string): string {
  const { ip, prefixLen } = cidr4(cidr);
  const value = ipv4Octets(ip).reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefixLen);
  const net = value - (value % size);
  return `${[24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.')}/${prefixLen}`;
}

export function mac(value: string): string {
  const lower = value.toLowerCase();
  if (!MAC.test(lower)) throw invalid(`invalid MAC address ${JSON.stringify(value)}`);
  return lower;
}

export function vni(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 0xffffff) throw invalid(`invalid VNI ${value}`);
  return value;
}

export function mtu(value: number): number {
  if (!Number.isInteger(value) || value < 68 || value > 65535) throw invalid(`invalid MTU ${value}`);
  return value;
}

export function port(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw invalid(`invalid UDP port ${value}`);
  return value;
}
