// Docker's convention: a container's MAC is 02:42 followed by its IPv4 address in hex. Peers can
// then program a remote endpoint's FDB entry from its address alone.
import { ipv4Octets } from './validate.js';

export function macFromIp(ip: string): string {
  const hex = ipv4Octets(ip).map((o) => o.toString(16).padStart(2, '0'));
  return ['02', '42', ...hex].join(':');
}
