// weftd's command line, validated once at the boundary into a typed config.
// Flag names follow dockerd's (cluster-store, cluster-advertise, -H, data-root, exec-root, dns).
import os from 'node:os';
import { Command, Option } from 'commander';
import { z } from 'zod';

export interface DaemonConfig {
  readonly clusterStore: string;
  /** Interface name or IP, optionally with a port (dockerd's cluster-advertise). */
  readonly clusterAdvertise: { readonly hostOrIface: string; readonly port: number };
  /** Unix socket path of the API. */
  readonly socketPath: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly leaseTtlSeconds: number;
  /** Upstream resolvers for containers; [] when told `--dns none`. Undefined: read resolv.conf. */
  readonly dns: readonly string[] | undefined;
  /** Prefix for every network namespace this daemon creates (/run/netns is machine-global). */
  readonly netnsPrefix: string;
  /** Name this host registers under in the cluster. */
  readonly hostname: string;
  readonly logLevel: string;
}

const ipv4 = z.ipv4();

const schema = z.object({
  clusterStore: z.string().min(1, 'is required'),
  clusterAdvertise: z
    .string()
    .regex(/^[^:\s]+(:\d{1,5})?$/, 'must be IFACE|IP[:PORT]')
    .transform((s) => {
      const [hostOrIface, port] = s.split(':');
      return { hostOrIface: hostOrIface!, port: port ? Number(port) : 2376 };
    }),
  host: z
    .string()
    .regex(/^unix:\/\/\/.+/, 'must be unix:///path')
    .transform((s) => s.slice('unix://'.length))
    .refine((p) => Buffer.byteLength(p) <= 107, 'socket path longer than 107 bytes'),
  dataRoot: z.string().min(1),
  execRoot: z.string().min(1),
  leaseTtl: z.coerce.number().int().min(1).max(3600),
  dns: z
    .array(z.string())
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      if (v.length === 1 && v[0] === 'none') return [];
      for (const a of v) {
        const ip = a.replace(/:\d+$/, '');
        if (!ipv4.safeParse(ip).success) ctx.addIssue({ code: 'custom', message: `${a} is not an IPv4 address` });
      }
      return v;
    }),
  netnsPrefix: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, ".", "_" and "-" only'),
  hostname: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'must be a host name'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
});

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function parseDaemonArgs(argv: readonly string[]): DaemonConfig {
  const program = new Command('weftd')
    .description('Weft daemon: Docker-compatible API with multi-host overlay networking')
    .addOption(new Option('--cluster-store <url>', 'cluster store URL (sqlite:///path, etcd://, zk://, consul://)').makeOptionMandatory())
    .option('--cluster-advertise <iface|ip[:port]>', 'address other hosts reach this one on', 'eth1:2376')
    .option('-H, --host <unix:///path>', 'API socket', 'unix:///run/weft/weftd.sock')
    .option('--data-root <dir>', 'persistent state', '/var/lib/weftd')
    .option('--exec-root <dir>', 'runtime state', '/run/weftd')
    .option('--lease-ttl <seconds>', 'host lease TTL in the cluster store', '10')
    .option('--dns <ip>', 'upstream DNS server for containers (repeatable; "none" for no upstream)', collect)
    .option('--netns-prefix <prefix>', 'prefix of network namespace names')
    .option('--hostname <name>', 'name of this host in the cluster', os.hostname())
    .option('--log-level <level>', 'log level', 'info')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stderr.write(s) });
  program.parse(argv as string[], { from: 'user' });
  const o = program.opts<Record<string, unknown>>();
  const parsed = schema.safeParse({
    clusterStore: o.clusterStore,
    clusterAdvertise: o.clusterAdvertise,
    host: o.host,
    dataRoot: o.dataRoot,
    execRoot: o.execRoot,
    leaseTtl: o.leaseTtl,
    dns: o.dns,
    netnsPrefix: o.netnsPrefix ?? `weft-${String(o.hostname)}-`,
    hostname: o.hostname,
    logLevel: o.logLevel,
  });
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `--${kebab(String(i.path[0] ?? ''))}: ${i.message}`).join('; ');
    throw new Error(`invalid weftd configuration: ${why}`);
  }
  const c = parsed.data;
  return {
    clusterStore: c.clusterStore,
    clusterAdvertise: c.clusterAdvertise,
    socketPath: c.host,
    dataRoot: c.dataRoot,
    execRoot: c.execRoot,
    leaseTtlSeconds: c.leaseTtl,
    dns: c.dns,
    netnsPrefix: c.netnsPrefix,
    hostname: c.hostname,
    logLevel: c.logLevel,
  };
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
