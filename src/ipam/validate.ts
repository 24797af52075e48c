// Validation of `network create` IPAM config entries, in moby's order and words
// (api/types/network/ipam.go ValidateIPAM). Pure: no store, so the API layer can check a
// whole request before anything is reserved.

import type { IpamPoolRequest } from '../cluster/types.js';
import {
  contains, formatPrefix4, isIPv6Text, isMasked, masked, overlaps, parseAddr4, parsePrefix4,
} from './cidr.js';
import * as msg from './messages.js';

/** The request with empty strings read as "not given", as the Docker API sends them. */
export function normalizePoolRequest(req: IpamPoolRequest): IpamPoolRequest {
  const given = (s: string | undefined) => (s === undefined || s === '' ? undefined : s);
  return {
    subnet: given(req.subnet),
    ipRange: given(req.ipRange),
    gateway: given(req.gateway),
    auxAddresses: req.auxAddresses ?? {},
  };
}

/** Every problem with one config entry, as moby words them; empty when it is valid. */
export function poolRequestProblems(request: IpamPoolRequest): string[] {
  const req = normalizePoolRequest(request);
  if (req.subnet === undefined) {
    // A config entry without a subnet but with other fields is rejected by moby the same way
    // (netip.ParsePrefix("") fails); an empty entry means "pick one from the defaults".
    const given = req.ipRange !== undefined || req.gateway !== undefined || Object.keys(req.auxAddresses ?? {}).length > 0;
    return given ? [msg.badSubnet('')] : [];
  }
  const subnet = parsePrefix4(req.subnet);
  if (subnet === undefined) return [isIPv6Text(req.subnet) ? msg.ipv6Unsupported(req.subnet) : msg.badSubnet(req.subnet)];
  const subnetText = formatPrefix4(subnet);
  const problems: string[] = [];
  if (!isMasked(subnet)) problems.push(msg.subnetHostBits(subnetText, formatPrefix4(masked(subnet))));

  if (req.ipRange !== undefined) {
    const range = parsePrefix4(req.ipRange);
    if (range === undefined) {
      problems.push(isIPv6Text(req.ipRange) ? msg.ipRangeFamily(req.ipRange) : msg.badIpRange(req.ipRange));
    } else {
      if (range.bits < subnet.bits) problems.push(msg.ipRangeBigger(req.ipRange, subnetText));
      if (!isMasked(range)) problems.push(msg.ipRangeHostBits(formatPrefix4(range), formatPrefix4(masked(range))));
      if (!overlaps(subnet, range)) problems.push(msg.ipRangeOutside(req.ipRange, subnetText));
    }
  }

  const why = addressProblem(req.gateway, subnet);
  if (why !== undefined) problems.push(msg.badGateway(req.gateway ?? '', why));
  for (const [name, address] of Object.entries(req.auxAddresses ?? {})) {
    const auxWhy = addressProblem(address, subnet);
    if (auxWhy !== undefined) problems.push(msg.badAuxAddress(name, auxWhy));
  }
  return problems;
}

/** Check every entry of a `network create` at once, as moby does: one error listing all problems. */
export function validatePoolRequests(reqs: readonly IpamPoolRequest[]): void {
  const problems = reqs.flatMap(poolRequestProblems);
  if (problems.length > 0) throw msg.invalidNetworkConfig(problems);
}

function addressProblem(address: string | undefined, subnet: { addr: number; bits: number }): string | undefined {
  if (address === undefined) return undefined;
  const addr = parseAddr4(address);
  if (addr === undefined) return isIPv6Text(address) ? msg.addressFamily : msg.invalidAddress;
  return contains(subnet, addr) ? undefined : msg.addressOutside(formatPrefix4(subnet));
}
