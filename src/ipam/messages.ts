// The error texts Docker users already know, taken from moby v28 (each with its source), and
// the typed errors Weft raises with them. The API layer sends the message verbatim.

import { WeftError, forbidden, invalid, unavailable } from '../errors.js';

/**
 * api/types/network/ipam.go ValidateIPAM: every problem of every IPAM config entry, joined by
 * internal/multierror ("* " before each) under one heading. daemon/network.go createNetwork
 * returns it as errdefs.InvalidParameter (400).
 */
export function invalidNetworkConfig(problems: readonly string[]): WeftError {
  const list = problems.map((p) => p.replaceAll('\n', '\n\t')).join('\n* ');
  return invalid(`invalid network config:\n* ${list}`);
}

// The single problems ValidateIPAM and its validateIPRange/validateAddress helpers report.
export const badSubnet = (subnet: string) => `invalid subnet ${subnet}: invalid CIDR block notation`;
export const subnetHostBits = (subnet: string, shouldBe: string) => `invalid subnet ${subnet}: it should be ${shouldBe}`;
export const badIpRange = (range: string) => `invalid ip-range ${range}: invalid CIDR block notation`;
export const ipRangeFamily = (range: string) => `invalid ip-range ${range}: parent subnet is an IPv4 block`;
export const ipRangeBigger = (range: string, subnet: string) =>
  `invalid ip-range ${range}: CIDR block is bigger than its parent subnet ${subnet}`;
export const ipRangeHostBits = (range: string, shouldBe: string) => `invalid ip-range ${range}: it should be ${shouldBe}`;
export const ipRangeOutside = (range: string, subnet: string) =>
  `invalid ip-range ${range}: parent subnet ${subnet} doesn't contain ip-range`;
export const badGateway = (gateway: string, why: string) => `invalid gateway ${gateway}: ${why}`;
export const badAuxAddress = (name: string, why: string) => `invalid auxiliary address ${name}: ${why}`;
// validateAddress's reasons.
export const invalidAddress = 'invalid address';
export const addressFamily = 'parent subnet is an IPv4 block';
export const addressOutside = (subnet: string) => `parent subnet ${subnet} doesn't contain this address`;
/** Weft's own: moby skips IPv6 entries of a network without --ipv6; Weft has no IPv6 at all. */
export const ipv6Unsupported = (subnet: string) => `invalid subnet ${subnet}: IPv6 is not supported`;

/** libnetwork/ipamapi/contract.go ErrPoolOverlap, wrapped by defaultipam RequestPool as ForbiddenErrorf (403). */
export const poolOverlap = () => forbidden('invalid pool request: Pool overlaps with other one on this address space');

/**
 * libnetwork/ipamapi/contract.go ErrNoMoreSubnets, InvalidParameter (400). Since moby 27
 * (defaultipam's allocatePredefinedPool rewrite) this is what `network create` prints when the
 * default pools are used up; "could not find an available, non-overlapping IPv4 address pool
 * among the defaults to assign to the network" (NotFound) was the text of moby 26 and older.
 */
export const noMoreSubnets = () => invalid('all predefined address pools have been fully subnetted');

/**
 * libnetwork/network.go ipamAllocateVersion: a gateway or auxiliary address IPAM cannot reserve
 * (it is the network or broadcast address, or taken twice). moby wraps ErrIPAlreadyAllocated in
 * an InternalError (500); Weft has no 500 kind, and the cause is the request, so it says 400.
 */
export const gatewayTaken = (gateway: string) => invalid(`failed to allocate gateway (${gateway}): Address already in use`);
export const auxTaken = (name: string, address: string) =>
  invalid(`failed to allocate secondary ip address (${name}:${address}): Address already in use`);

/** libnetwork/ipamapi/contract.go ErrIPAlreadyAllocated, ForbiddenErrorf (403): `--ip` of a taken address. */
export const addressInUse = () => forbidden('Address already in use');

/** libnetwork/ipamapi/contract.go ErrIPOutOfRange analogue as libnetwork/endpoint.go assignAddressVersion words it (400). */
export const addressNotInNetwork = (address: string) =>
  invalid(`invalid address ${address}: It does not belong to any of this network's subnets`);

/** libnetwork/ipams/defaultipam/allocator.go RequestAddress: a preferred address that does not parse (400). */
export const badPreferredAddress = (address: string) => invalid(`invalid preferred address: ${address}`);

/**
 * libnetwork/endpoint.go assignAddressVersion, what `docker run` on a full network shows in
 * moby 28 (behind the daemon's "failed to set up container networking: "). moby builds it with
 * fmt.Errorf, so it reaches the client as a 500; the IPAM error underneath, ErrNoAvailableIPs
 * "no available addresses on this pool", is an UnavailableError, which is the kind Weft keeps (503).
 */
export const noAvailableAddresses = (networkName: string, networkId: string) =>
  unavailable(`no available IPv4 addresses on this network's address pools: ${networkName} (${networkId})`);
