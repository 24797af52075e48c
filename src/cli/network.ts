// `weft network ls|create|inspect|rm`: the docker CLI's network commands against weftd, with
// docker's output (tabwriter columns, 12-character IDs, raw re-indented inspect JSON) and its
// request bodies, so scripts written for `docker network` read the same from `weft network`.

import { isIP } from 'node:net';
import { Command } from 'commander';
import ipaddr from 'ipaddr.js';
import { ConnectionError, DaemonError, type DockerClient } from './client.js';
import { actionRunner, collect, defaultOutput, errorLine, filtersJson, kvMap, UsageError, type CliOutput } from './common.js';
import { goTimeString, indentJson, jsonLookup, naturalLess, renderTemplate, tabwrite, truncateId, unescapeFormat, type Lookup } from './format.js';

/** The list item / inspect shape, as far as the CLI reads it. */
interface NetworkSummary {
  readonly Name: string;
  readonly Id: string;
  readonly Created?: string;
  readonly Scope?: string;
  readonly Driver?: string;
  readonly EnableIPv4?: boolean;
  readonly EnableIPv6?: boolean;
  readonly Internal?: boolean;
  readonly Labels?: Record<string, string> | null;
}

// ---------------------------------------------------------------------------------------------
// network ls

const LS_HEADERS: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

/** The fields docker's networkContext offers to `--format`. */
function lsFields(n: NetworkSummary, trunc: boolean): Record<string, string> {
  return {
    CreatedAt: goTimeString(n.Created),
    Driver: n.Driver ?? '',
    ID: trunc ? truncateId(n.Id) : n.Id,
    IPv4: String(n.EnableIPv4 ?? false),
    IPv6: String(n.EnableIPv6 ?? false),
    Internal: String(n.Internal ?? false),
    Labels: Object.entries(n.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    Name: n.Name,
    Scope: n.Scope ?? '',
  };
}

function renderList(networks: readonly NetworkSummary[], format: string, quiet: boolean, trunc: boolean): string {
  let source = format || 'table';
  if (source === 'table') source = quiet ? '{{.ID}}' : 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
  else if (source === 'raw') source = quiet ? 'network_id: {{.ID}}' : 'network_id: {{.ID}}\nname: {{.Name}}\ndriver: {{.Driver}}\nscope: {{.Scope}}\n';
  else if (source === 'json') source = '{{json .}}';

  const isTable = source.startsWith('table');
  const template = unescapeFormat(isTable ? source.slice('table'.length) : source);
  const check = (field: string, fields: Record<string, string>) => {
    if (!Object.hasOwn(fields, field)) throw new UsageError(`template: can't evaluate field ${field} in type network`);
  };

  let out = '';
  if (isTable) {
    out += renderTemplate(template, (path) => (path.length === 1 ? (LS_HEADERS[path[0]!] ?? path[0]) : ''), () => 'LABEL') + '\n';
  }
  for (const n of networks) {
    const fields = lsFields(n, trunc);
    const lookup: Lookup = (path) => {
      if (path.length === 0) return fields;
      check(path[0]!, fields);
      return path.length === 1 ? fields[path[0]!] : undefined;
    };
    out += renderTemplate(template, lookup, (key) => n.Labels?.[key] ?? '') + '\n';
  }
  return isTable ? tabwrite(out) : out;
}

// ---------------------------------------------------------------------------------------------
// network create

interface CreateOptions {
  driver: string;
  subnet: string[];
  ipRange: string[];
  gateway: string[];
  auxAddress: string[];
  internal?: boolean;
  attachable?: boolean;
  ingress?: boolean;
  ipv6?: boolean;
  label: string[];
  opt: string[];
  ipamDriver: string;
  ipamOpt: string[];
}

function parseCidr(text: string, what: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? '' : text.slice(0, slash);
  if (isIP(addr) === 0 || !/^\d+$/.test(text.slice(slash + 1))) throw new UsageError(`${what}: invalid CIDR address: ${text}`);
  try {
    const [ip, bits] = ipaddr.parseCIDR(text);
    return [ip, bits];
  } catch {
    throw new UsageError(`${what}: invalid CIDR address: ${text}`);
  }
}

/** docker's subnetMatches: whether `data` (an address or CIDR) lies inside `subnet`. */
function subnetMatches(subnet: string, data: string): boolean {
  const [net, bits] = parseCidr(subnet, 'invalid subnet');
  let ip: ipaddr.IPv4 | ipaddr.IPv6 | undefined;
  if (data.includes('/')) ip = parseCidr(data, 'invalid cidr')[0];
  else if (isIP(data) !== 0) ip = ipaddr.parse(data);
  if (ip === undefined || ip.kind() !== net.kind()) return false;
  return ip.match(net, bits);
}

interface IpamConfigBody {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** docker's createIPAMConfig: attach each range, gateway and aux address to its subnet. */
export function ipamConfigs(o: Pick<CreateOptions, 'subnet' | 'ipRange' | 'gateway' | 'auxAddress'>): IpamConfigBody[] {
  if (o.subnet.length < o.ipRange.length || o.subnet.length < o.gateway.length) {
    throw new UsageError('every ip-range or gateway must have a corresponding subnet');
  }
  const configs = new Map<string, IpamConfigBody>();
  for (const s of o.subnet) {
    for (const k of configs.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new UsageError('multiple overlapping subnet configuration is not supported');
    }
    configs.set(s, { Subnet: s });
  }
  const attach = (value: string, kind: 'range' | 'gateway', set: (c: IpamConfigBody) => void, current: (c: IpamConfigBody) => string | undefined) => {
    let matched = false;
    for (const s of o.subnet) {
      if (!subnetMatches(s, value)) continue;
      const c = configs.get(s)!;
      const existing = current(c);
      if (existing !== undefined) {
        throw new UsageError(
          kind === 'range'
            ? `cannot configure multiple ranges (${value}, ${existing}) on the same subnet (${s})`
            : `cannot configure multiple gateways (${value}, ${existing}) for the same subnet (${s})`,
        );
      }
      set(c);
      matched = true;
    }
    if (!matched) throw new UsageError(`no matching subnet for ${kind} ${value}`);
  };
  for (const r of o.ipRange) attach(r, 'range', (c) => (c.IPRange = r), (c) => c.IPRange);
  for (const g of o.gateway) attach(g, 'gateway', (c) => (c.Gateway = g), (c) => c.Gateway);
  for (const [key, addr] of Object.entries(kvMap(o.auxAddress))) {
    let matched = false;
    for (const s of o.subnet) {
      if (!subnetMatches(s, addr)) continue;
      const c = configs.get(s)!;
      c.AuxiliaryAddresses = { ...c.AuxiliaryAddresses, [key]: addr };
      matched = true;
    }
    if (!matched) throw new UsageError(`no matching subnet for aux-address ${addr}`);
  }
  return [...configs.values()];
}

/** The request body exactly as docker 28.2.2 sends it (trace 04), keys in the same order. */
export function createBody(name: string, o: CreateOptions): Record<string, unknown> {
  return {
    Driver: o.driver,
    Scope: '',
    ...(o.ipv6 ? { EnableIPv6: true } : {}),
    IPAM: { Driver: o.ipamDriver, Options: kvMap(o.ipamOpt), Config: ipamConfigs(o) },
    Internal: o.internal ?? false,
    Attachable: o.attachable ?? false,
    Ingress: o.ingress ?? false,
    ConfigOnly: false,
    ConfigFrom: null,
    Options: kvMap(o.opt),
    Labels: kvMap(o.label),
    Name: name,
  };
}

// ---------------------------------------------------------------------------------------------
// The command

/**
 * `weft network …`. `client` is called once per invocation, after option parsing, so the
 * caller's global `-H` is known by then.
 */
export function networkCommand(client: () => DockerClient, output: CliOutput = defaultOutput): Command {
  const { stdout, stderr } = output;
  const withClient = actionRunner(client, output);

  const network = new Command('network').description('Manage networks');

  network
    .command('ls')
    .alias('list')
    .description('List networks')
    .option('-q, --quiet', 'Only display network IDs')
    .option('--no-trunc', 'Do not truncate the output')
    .option('--format <format>', 'Format output using a custom template: "table", "table TEMPLATE", "json" or "TEMPLATE"')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', collect, [] as string[])
    .action((opts: { quiet?: boolean; trunc: boolean; format?: string; filter: string[] }) =>
      withClient(async (c) => {
        const filters = filtersJson(opts.filter);
        const networks = await c.json<NetworkSummary[]>('GET', '/networks', { query: { filters } });
        const sorted = [...networks].sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
        stdout.write(renderList(sorted, opts.format ?? '', opts.quiet ?? false, opts.trunc));
      }),
    );

  network
    .command('create')
    .description('Create a network')
    .argument('<name>', 'network name')
    .option('-d, --driver <driver>', 'Driver to manage the Network', 'bridge')
    .option('--subnet <subnet>', 'Subnet in CIDR format that represents a network segment', collect, [] as string[])
    .option('--ip-range <range>', 'Allocate container ip from a sub-range', collect, [] as string[])
    .option('--gateway <gateway>', 'IPv4 or IPv6 Gateway for the master subnet', collect, [] as string[])
    .option('--aux-address <name=ip>', 'Auxiliary IPv4 or IPv6 addresses used by Network driver', collect, [] as string[])
    .option('--internal', 'Restrict external access to the network')
    .option('--attachable', 'Enable manual container attachment')
    .option('--ingress', 'Create swarm routing-mesh network')
    .option('--ipv6', 'Enable or disable IPv6 networking')
    .option('--label <label>', 'Set metadata on a network', collect, [] as string[])
    .option('-o, --opt <key=value>', 'Set driver specific options', collect, [] as string[])
    .option('--ipam-driver <driver>', 'IP Address Management Driver', 'default')
    .option('--ipam-opt <key=value>', 'Set IPAM driver specific options', collect, [] as string[])
    .action((name: string, opts: CreateOptions) =>
      withClient(async (c) => {
        const body = createBody(name, opts);
        const res = await c.json<{ Id: string; Warning?: string }>('POST', '/networks/create', { body });
        if (res.Warning) stderr.write(`WARNING: ${res.Warning}\n`);
        stdout.write(res.Id + '\n');
      }),
    );

  network
    .command('inspect')
    .description('Display detailed information on one or more networks')
    .argument('<network...>', 'networks to inspect')
    .option('-f, --format <format>', 'Format output using a custom template: "json" or "TEMPLATE"')
    .option('-v, --verbose', 'Verbose output for diagnostics')
    .action((refs: string[], opts: { format?: string; verbose?: boolean }) =>
      withClient(async (c) => {
        const raws: string[] = [];
        const errors: unknown[] = [];
        for (const ref of refs) {
          try {
            const res = await c.call('GET', `/networks/${encodeURIComponent(ref)}`, { query: { verbose: opts.verbose ? 'true' : undefined } });
            raws.push(res.body.toString('utf8').trim());
          } catch (err) {
            // Like docker: report every missing network after printing the ones found.
            if (!(err instanceof DaemonError)) throw err;
            errors.push(err);
          }
        }
        if (opts.format === 'json') {
          for (const raw of raws) stdout.write(raw + '\n');
        } else if (opts.format) {
          const format = unescapeFormat(opts.format);
          for (const raw of raws) stdout.write(renderTemplate(format, jsonLookup(JSON.parse(raw))) + '\n');
        } else {
          stdout.write((raws.length === 0 ? '[]' : indentJson(`[${raws.join(',')}]`)) + '\n');
        }
        if (errors.length > 0) {
          stderr.write(errors.map(errorLine).join('\n') + '\n');
          output.setExitCode(1);
        }
      }),
    );

  network
    .command('rm')
    .alias('remove')
    .description('Remove one or more networks')
    .argument('<network...>', 'networks to remove')
    .option('-f, --force', 'Do not error if the network does not exist')
    .action((refs: string[], opts: { force?: boolean }) =>
      withClient(async (c) => {
        let failed = false;
        for (const ref of refs) {
          try {
            await c.call('DELETE', `/networks/${encodeURIComponent(ref)}`);
            stdout.write(ref + '\n');
          } catch (err) {
            if (opts.force && err instanceof DaemonError && err.status === 404) continue;
            if (err instanceof ConnectionError) throw err;
            stderr.write(errorLine(err) + '\n');
            failed = true;
          }
        }
        // docker ends a partly failed rm with this line too (cli.StatusError without a status text).
        if (failed) {
          stderr.write('exit status 1\n');
          output.setExitCode(1);
        }
      }),
    );

  return network;
}
