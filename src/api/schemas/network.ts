// The Docker JSON bodies of the network routes, validated into Weft's typed requests at the
// boundary (STYLE: no untyped option maps past the API). Field names and null handling follow
// moby's Go structs: network.CreateRequest, network.ConnectOptions, network.DisconnectOptions.

import { z } from 'zod';
import { invalid, notFound, notImplemented } from '../../errors.js';
import type { IpamPoolRequest, NetworkCreateRequest, NetworkDriverName } from '../../cluster/types.js';
import type { EndpointRequest } from '../backend.js';
import { decodeBody } from './decode.js';

const str = z.string().nullish();
const bool = z.boolean().nullish();
/** Go decodes a null map value as "". */
const strMap = z.record(z.string(), z.string().nullable()).nullish();
const strList = z.array(z.string()).nullish();

const ipamConfigSchema = z.object({
  Subnet: str,
  IPRange: str,
  Gateway: str,
  AuxiliaryAddresses: strMap,
});

const createSchema = z.object({
  Name: str,
  Driver: str,
  Scope: str,
  EnableIPv4: bool,
  EnableIPv6: bool,
  IPAM: z
    .object({
      Driver: str,
      Options: strMap,
      Config: z.array(ipamConfigSchema.nullable()).nullish(),
    })
    .nullish(),
  Internal: bool,
  Attachable: bool,
  Ingress: bool,
  ConfigOnly: bool,
  ConfigFrom: z.object({ Network: str }).nullish(),
  Options: strMap,
  Labels: strMap,
  // Ignored: names are always unique in Weft (as in Docker ≥ 25).
  CheckDuplicate: bool,
});

const endpointSettingsSchema = z.object({
  IPAMConfig: z.object({ IPv4Address: str, IPv6Address: str, LinkLocalIPs: strList }).nullish(),
  Links: strList,
  Aliases: strList,
  MacAddress: str,
  DriverOpts: strMap,
  GwPriority: z.number().int().nullish(),
});

const connectSchema = z.object({ Container: str, EndpointConfig: endpointSettingsSchema.nullish() });
const disconnectSchema = z.object({ Container: str, Force: bool });

const DRIVERS: readonly NetworkDriverName[] = ['bridge', 'overlay', 'host', 'null'];

/** Option keys Docker users pass to ask for an encrypted overlay. */
const ENCRYPTED_OPTION = 'encrypted';

function stringMap(m: Readonly<Record<string, string | null>> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) out[k] = v ?? '';
  return out;
}

function pool(c: z.output<typeof ipamConfigSchema> | null): IpamPoolRequest {
  const aux = stringMap(c?.AuxiliaryAddresses);
  return {
    ...(c?.Subnet ? { subnet: c.Subnet } : {}),
    ...(c?.IPRange ? { ipRange: c.IPRange } : {}),
    ...(c?.Gateway ? { gateway: c.Gateway } : {}),
    ...(Object.keys(aux).length > 0 ? { auxAddresses: aux } : {}),
  };
}

/** `POST /networks/create` body → NetworkCreateRequest, or a 4xx WeftError. */
export function parseNetworkCreate(body: unknown): NetworkCreateRequest {
  const b = decodeBody(createSchema, body, 'network.CreateRequest');
  const name = b.Name ?? '';
  // libnetwork's config.IsValidName and ErrInvalidName.
  if (name.trim() === '') throw invalid(`invalid name: ${name}`);

  const driverName = b.Driver || 'bridge';
  const driver = DRIVERS.find((d) => d === driverName);
  // What moby answers when no built-in driver or plugin has the name.
  if (driver === undefined) throw notFound(`plugin "${driverName}" not found`);

  const options = stringMap(b.Options);
  if (Object.hasOwn(options, ENCRYPTED_OPTION)) {
    // Never fall back to an unencrypted network: users asked for encryption.
    throw invalid(
      `encrypted networks are not supported: this kernel has no IPsec (ESP), so Weft refuses to create network ${name} ` +
        'rather than create it unencrypted',
    );
  }
  if (b.EnableIPv4 === false) throw invalid('IPv4 cannot be disabled: Weft networks always have IPv4 addresses');
  if (b.ConfigOnly === true || (b.ConfigFrom?.Network ?? '') !== '') {
    throw notImplemented('config-only networks (--config-only, --config-from) are not supported by Weft');
  }

  return {
    name,
    driver,
    internal: b.Internal ?? false,
    attachable: b.Attachable ?? false,
    ingress: b.Ingress ?? false,
    enableIPv6: b.EnableIPv6 ?? false,
    ipam: {
      driver: b.IPAM?.Driver || 'default',
      options: stringMap(b.IPAM?.Options),
      config: (b.IPAM?.Config ?? []).map(pool),
    },
    options,
    labels: stringMap(b.Labels),
  };
}

/** Docker's EndpointSettings (connect, and later container create) → EndpointRequest. */
export function endpointRequest(s: z.output<typeof endpointSettingsSchema> | null | undefined): EndpointRequest {
  if ((s?.Links ?? []).length > 0) throw invalid('legacy links are not supported on Weft networks: use --alias');
  if ((s?.IPAMConfig?.LinkLocalIPs ?? []).length > 0) throw invalid('link-local addresses are not supported by Weft');
  const ipv4 = s?.IPAMConfig?.IPv4Address;
  const ipv6 = s?.IPAMConfig?.IPv6Address;
  return {
    aliases: [...(s?.Aliases ?? [])],
    ...(ipv4 ? { ipv4Address: ipv4 } : {}),
    ...(ipv6 ? { ipv6Address: ipv6 } : {}),
    ...(s?.MacAddress ? { macAddress: s.MacAddress } : {}),
    driverOpts: stringMap(s?.DriverOpts),
  };
}

export { endpointSettingsSchema };

export function parseNetworkConnect(body: unknown): { container: string; endpoint: EndpointRequest } {
  const b = decodeBody(connectSchema, body, 'network.ConnectOptions');
  return { container: b.Container ?? '', endpoint: endpointRequest(b.EndpointConfig) };
}

export function parseNetworkDisconnect(body: unknown): { container: string; force: boolean } {
  const b = decodeBody(disconnectSchema, body, 'network.DisconnectOptions');
  return { container: b.Container ?? '', force: b.Force ?? false };
}
