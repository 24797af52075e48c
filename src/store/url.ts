// `--cluster-store` URLs, parsed into typed config (the daemon picks and opens the backend):
//   sqlite:///abs/path/cluster.db      the embedded store, one file per machine
//   etcd://h1:2379,h2:2379/prefix      one or more etcd members
//   zk://h1:2181,h2:2181/prefix        one or more ZooKeeper servers
//   consul://h:8500/prefix             one Consul agent
// WHATWG URL cannot read comma-separated host lists, hence the hand-written parser.
import { isIPv6 } from 'node:net';
import { WeftError } from '../errors.js';

export interface HostPort {
  /** A host name or IP address; an IPv6 address comes without its brackets. */
  readonly host: string;
  readonly port: number;
}

export interface SqliteStoreUrl {
  readonly scheme: 'sqlite';
  /** Absolute path of the database file. */
  readonly path: string;
}

export interface ServerStoreUrl<S extends 'etcd' | 'zk' | 'consul'> {
  readonly scheme: S;
  readonly endpoints: readonly HostPort[];
  /** The URL's path without its outer slashes ('' if none): keys live under it. */
  readonly prefix: string;
}

export type StoreUrl = SqliteStoreUrl | ServerStoreUrl<'etcd'> | ServerStoreUrl<'zk'> | ServerStoreUrl<'consul'>;
export type StoreScheme = StoreUrl['scheme'];

const DEFAULT_PORTS = { etcd: 2379, zk: 2181, consul: 8500 } as const;
const SCHEMES = ['sqlite', ...Object.keys(DEFAULT_PORTS)];

export class StoreUrlError extends WeftError {
  constructor(url: string, problem: string) {
    super('invalid', `invalid cluster store URL ${JSON.stringify(redact(url))}: ${problem}`);
    this.name = 'StoreUrlError';
  }
}

export function parseStoreUrl(url: string): StoreUrl {
  const fail = (problem: string): never => {
    throw new StoreUrlError(url, problem);
  };
  const parts = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)([?#].*)?$/.exec(url.trim());
  if (!parts) return fail('expected <scheme>://<hosts>/<prefix>, e.g. etcd://10.0.0.1:2379/weft or sqlite:///var/lib/weft/cluster.db');
  const [, rawScheme = '', authority = '', path = '', extra] = parts;
  const scheme = rawScheme.toLowerCase();
  if (extra !== undefined) fail('query strings and fragments are not supported');
  if (authority.includes('@')) fail('credentials in the URL are not supported');

  if (scheme === 'sqlite') return { scheme, path: sqlitePath(authority, path, fail) };
  if (scheme === 'etcd' || scheme === 'zk' || scheme === 'consul') {
    const endpoints = hostList(authority, DEFAULT_PORTS[scheme], fail);
    // A Consul client talks to one agent, which forwards to the servers: a list would be ignored.
    if (scheme === 'consul' && endpoints.length > 1) fail('consul takes one agent address, not a list');
    return { scheme, endpoints, prefix: prefixOf(path, fail) };
  }
  return fail(`unknown scheme "${rawScheme}"; expected one of ${SCHEMES.join(', ')}`);
}

type Fail = (problem: string) => never;

function sqlitePath(authority: string, path: string, fail: Fail): string {
  if (authority !== '') {
    fail(`sqlite needs an absolute path after three slashes (sqlite:///abs/path/cluster.db), got host "${authority}"`);
  }
  if (path === '' || path === '/') fail('missing the database file path (sqlite:///abs/path/cluster.db)');
  if (path.endsWith('/')) fail(`"${path}" names a directory; give the database file, e.g. ${path}cluster.db`);
  return decode(path, fail);
}

function hostList(authority: string, defaultPort: number, fail: Fail): HostPort[] {
  if (authority === '') fail(`missing host:port (e.g. 127.0.0.1:${defaultPort})`);
  return authority.split(',').map((entry) => hostPort(entry.trim(), defaultPort, fail));
}

function hostPort(entry: string, defaultPort: number, fail: Fail): HostPort {
  if (entry === '') fail('empty entry in the host list');
  const parts = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::([^:]*))?$/.exec(entry);
  if (!parts) return fail(`"${entry}" is not host:port (write IPv6 addresses as [addr]:port)`);
  const [, v6, name, port] = parts;
  if (v6 !== undefined && !isIPv6(v6)) fail(`"${v6}" is not an IPv6 address`);
  const host = v6 ?? name ?? '';
  if (host === '') fail(`"${entry}" has no host`);
  if (v6 === undefined && !HOSTNAME.test(host)) fail(`"${host}" is not a valid host name or IPv4 address`);
  if (port === undefined) fail(`"${entry}" has no port (expected host:port, e.g. ${entry}:${defaultPort})`);
  const portNumber = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(portNumber >= 1 && portNumber <= 65535)) fail(`"${port}" in "${entry}" is not a port (1-65535)`);
  return { host, port: portNumber };
}

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

function prefixOf(path: string, fail: Fail): string {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  if (trimmed.includes('//')) fail(`empty segment in the prefix "${path}"`);
  return decode(trimmed, fail);
}

function decode(text: string, fail: Fail): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return fail(`bad percent-encoding in "${text}"`);
  }
}

/** Never echo a password from a URL into logs or API errors. */
function redact(url: string): string {
  return url.replace(/^([^:]*:\/\/)[^/?#]*@/, '$1<credentials>@');
}
