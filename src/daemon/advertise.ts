// dockerd's --cluster-advertise takes an interface name or an address; peers send VXLAN to it.
import { isIPv4 } from 'node:net';
import os from 'node:os';

export function resolveAdvertise(ifaceOrIp: string): string {
  if (isIPv4(ifaceOrIp)) return ifaceOrIp;
  const addrs = os.networkInterfaces()[ifaceOrIp];
  if (!addrs) throw new Error(`--cluster-advertise: no interface named ${ifaceOrIp} in this network namespace`);
  const v4 = addrs.find((a) => a.family === 'IPv4' && !a.internal) ?? addrs.find((a) => a.family === 'IPv4');
  if (!v4) throw new Error(`--cluster-advertise: interface ${ifaceOrIp} has no IPv4 address`);
  return v4.address;
}
