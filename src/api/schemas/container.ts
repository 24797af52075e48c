// The Docker JSON bodies and query parameters of the container and exec routes, validated into
// the runtime's typed requests at this boundary. Field names follow moby's Go structs
// (container.CreateRequest = Config + HostConfig + NetworkingConfig, container.ExecOptions).
// Options Weft cannot honour are refused with a clear message rather than silently ignored.

import { z } from 'zod';
import { invalid, notImplemented } from '../../errors.js';
import type { ContainerCreateConfig, ExecCreateRequest, WaitCondition } from '../backend.js';
import type { EndpointRequest } from '../../runtime/networking.js';
import { decodeBody } from './decode.js';
import { endpointRequest, endpointSettingsSchema } from './network.js';

const str = z.string().nullish();
const bool = z.boolean().nullish();
const strList = z.array(z.string()).nullish();
/** Docker's StrSlice: a string or a list of strings. */
const strSlice = z.union([z.string(), z.array(z.string())]).nullish();
const strMap = z.record(z.string(), z.string().nullable()).nullish();
/** Only the HostConfig keys Weft interprets; the whole object is echoed back at inspect. */
const hostConfigSchema = z.looseObject({
  NetworkMode: str,
  AutoRemove: bool,
  Binds: strList,
  Mounts: z.array(z.unknown()).nullish(),
  VolumesFrom: strList,
  PortBindings: z.record(z.string(), z.unknown()).nullish(),
  PublishAllPorts: bool,
  Links: strList,
  RestartPolicy: z.object({ Name: str, MaximumRetryCount: z.number().int().nullish() }).nullish(),
  Dns: strList,
  DnsOptions: strList,
  DnsSearch: strList,
  ExtraHosts: strList,
});

const createSchema = z.object({
  Hostname: str,
  Domainname: str,
  User: str,
  AttachStdin: bool,
  AttachStdout: bool,
  AttachStderr: bool,
  Tty: bool,
  OpenStdin: bool,
  StdinOnce: bool,
  Env: strList,
  Cmd: strSlice,
  Entrypoint: strSlice,
  Image: str,
  WorkingDir: str,
  Labels: strMap,
  StopSignal: str,
  StopTimeout: z.number().int().nullish(),
  HostConfig: hostConfigSchema.nullish(),
  NetworkingConfig: z.object({ EndpointsConfig: z.record(z.string(), endpointSettingsSchema.nullable()).nullish() }).nullish(),
});

const execSchema = z.object({
  User: str,
  Privileged: bool,
  Tty: bool,
  AttachStdin: bool,
  AttachStderr: bool,
  AttachStdout: bool,
  Detach: bool,
  DetachKeys: str,
  Env: strList,
  WorkingDir: str,
  Cmd: strSlice,
});

const execStartSchema = z.object({ Detach: bool, Tty: bool });

const slice = (v: string | readonly string[] | null | undefined): string[] | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? [v] : [...v];

function stringMap(m: Readonly<Record<string, string | null>> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) out[k] = v ?? '';
  return out;
}

const nonEmpty = (v: readonly unknown[] | Record<string, unknown> | null | undefined) =>
  v !== null && v !== undefined && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);

/** What Weft refuses in a HostConfig, with the reason users need. */
function refuseUnsupported(h: z.output<typeof hostConfigSchema>): void {
  if (nonEmpty(h.Binds) || nonEmpty(h.Mounts) || nonEmpty(h.VolumesFrom)) {
    throw notImplemented('volumes and bind mounts (-v, --mount, --volumes-from) are not supported by Weft');
  }
  if (nonEmpty(h.PortBindings) || h.PublishAllPorts) {
    throw notImplemented('publishing ports (-p, -P) is not supported by Weft: reach containers at their network addresses');
  }
  if (nonEmpty(h.Links)) throw invalid('legacy links (--link) are not supported on Weft networks: use --network-alias');
  const restart = h.RestartPolicy?.Name ?? '';
  if (restart !== '' && restart !== 'no') throw notImplemented(`restart policy "${restart}" is not supported by Weft`);
  if (nonEmpty(h.Dns) || nonEmpty(h.DnsOptions) || nonEmpty(h.DnsSearch) || nonEmpty(h.ExtraHosts)) {
    throw notImplemented('--dns, --dns-option, --dns-search and --add-host are not supported by Weft: use weftd --dns');
  }
  const mode = h.NetworkMode ?? '';
  if (mode.startsWith('container:')) throw notImplemented('--network container:<name> is not supported by Weft');
}

function endpoint(settings: Parameters<typeof endpointRequest>[0], network: string): EndpointRequest {
  const req = endpointRequest(settings);
  if (req.ipv6Address) throw invalid(`network ${network}: IPv6 addresses (--ip6) are not supported by Weft`);
  if (req.macAddress) throw invalid(`network ${network}: fixed MAC addresses (--mac-address) are not supported by Weft`);
  if (Object.keys(req.driverOpts).length > 0) throw invalid(`network ${network}: endpoint driver options (--driver-opt) are not supported by Weft`);
  return { aliases: req.aliases, ...(req.ipv4Address ? { ipv4Address: req.ipv4Address } : {}) };
}

const PREDEFINED_MODES = new Set(['default', 'bridge', 'host', 'none']);

function rawHostConfig(body: unknown): Record<string, unknown> {
  const h = (body as { HostConfig?: unknown } | null | undefined)?.HostConfig;
  return h !== null && typeof h === 'object' ? (h as Record<string, unknown>) : {};
}

/** `POST /containers/create?name=` body → the runtime's create request. */
export function parseContainerCreate(body: unknown, name: string | null): ContainerCreateConfig {
  const b = decodeBody(createSchema, body, 'container.CreateRequest');
  const image = b.Image ?? '';
  if (image === '') throw invalid('config cannot be empty in order to create a container');
  const host = b.HostConfig ?? {};
  refuseUnsupported(host);
  const networkMode = host.NetworkMode || 'default';
  const endpointsConfig: Record<string, EndpointRequest> = {};
  for (const [net, settings] of Object.entries(b.NetworkingConfig?.EndpointsConfig ?? {})) {
    const req = endpoint(settings, net);
    // moby's runconfig checks: the predefined networks have neither service discovery nor IPAM choice.
    if (PREDEFINED_MODES.has(net)) {
      if (req.aliases.length > 0) throw invalid('network-scoped alias is supported only for containers in user defined networks');
      if (req.ipv4Address) throw invalid('user specified IP address is supported on user defined networks only');
    }
    endpointsConfig[net] = req;
  }
  return {
    ...(name ? { name } : {}),
    image,
    cmd: slice(b.Cmd),
    entrypoint: slice(b.Entrypoint),
    env: b.Env ?? null,
    workingDir: b.WorkingDir ?? '',
    user: b.User ?? '',
    hostname: b.Hostname ?? '',
    domainname: b.Domainname ?? '',
    tty: b.Tty ?? false,
    openStdin: b.OpenStdin ?? false,
    stdinOnce: b.StdinOnce ?? false,
    attachStdin: b.AttachStdin ?? false,
    attachStdout: b.AttachStdout ?? false,
    attachStderr: b.AttachStderr ?? false,
    autoRemove: host.AutoRemove ?? false,
    networkMode,
    endpointsConfig,
    labels: stringMap(b.Labels),
    ...(b.StopTimeout !== null && b.StopTimeout !== undefined ? { stopTimeout: b.StopTimeout } : {}),
    ...(b.StopSignal ? { stopSignal: b.StopSignal } : {}),
    // Echoed at inspect exactly as sent (moby's key order), so the raw input, not zod's output.
    extras: { hostConfig: rawHostConfig(body) },
  };
}

export function parseExecCreate(body: unknown): ExecCreateRequest {
  const b = decodeBody(execSchema, body, 'container.ExecOptions');
  const cmd = slice(b.Cmd) ?? [];
  if (cmd.length === 0) throw invalid('No exec command specified');
  return {
    cmd,
    env: b.Env ?? [],
    user: b.User ?? '',
    workingDir: b.WorkingDir ?? '',
    tty: b.Tty ?? false,
    privileged: b.Privileged ?? false,
    attachStdin: b.AttachStdin ?? false,
    attachStdout: b.AttachStdout ?? false,
    attachStderr: b.AttachStderr ?? false,
    detachKeys: b.DetachKeys ?? '',
  };
}

export function parseExecStart(body: unknown): { detach: boolean; tty: boolean } {
  const b = decodeBody(execStartSchema, body, 'container.ExecStartOptions');
  return { detach: b.Detach ?? false, tty: b.Tty ?? false };
}

const WAIT_CONDITIONS: readonly WaitCondition[] = ['not-running', 'next-exit', 'removed'];

/** moby's wait conditions; empty is `not-running`. */
export function parseWaitCondition(value: string | null): WaitCondition {
  if (value === null || value === '') return 'not-running';
  const c = WAIT_CONDITIONS.find((w) => w === value);
  if (!c) throw invalid(`invalid condition: "${value}"`);
  return c;
}
