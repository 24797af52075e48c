// Which names a container can resolve: the network-aware NameLookup behind the embedded DNS.
//
// Every endpoint in the cluster is here, local and remote alike (they come from the store). A
// name resolves for an asker only through the networks the asker shares with the endpoint:
// - `name` and each `alias`, on any network the asker is on;
// - `name.<network>` and `alias.<network>`, where <network> is one of the asker's networks;
//   an unknown name under one of the asker's networks is NXDOMAIN (it cannot exist upstream);
// - anything else is forwarded.
// Names compare without regard to letter case, and a trailing dot is ignored.
//
// The asker is the container id, and the networks it is on are derived from its own endpoints,
// which are in the table anyway: one source of truth, where a separate "container X is on
// networks Y" call could disagree with the endpoints. A container with no endpoint here resolves
// nothing locally, which is also right for `--network none`.
//
// Results are memoised per asker and name until the table changes, so a query for a known name
// costs two map look-ups and returns the same result object every time (the DNS server compares
// results to validate its answer cache).
import { isIP } from 'node:net';
import { FORWARD, type LookupResult, type NameLookup, NXDOMAIN } from '../dns/lookup.js';
import { invalid } from '../errors.js';

export interface NameTableEndpoint {
  readonly id: string;
  readonly networkId: string;
  readonly networkName: string;
  readonly containerId: string;
  /** Container name, without a leading slash. */
  readonly name: string;
  readonly aliases: readonly string[];
  /** The endpoint's address, with or without a prefix length (`10.0.0.2` or `10.0.0.2/24`). */
  readonly ip: string;
}

interface Entry {
  readonly ep: NameTableEndpoint;
  readonly ip: string;
  /** Lower-case name and aliases, without duplicates. */
  readonly keys: readonly string[];
}

interface NetworkIndex {
  name: string;
  suffix: string;
  readonly byName: Map<string, Entry[]>;
  readonly byIp: Map<string, Entry[]>;
  size: number;
}

/** Names one container asks for; past this the memo for it starts over. */
const MEMO_PER_ASKER = 1024;

export class NameTable implements NameLookup {
  private readonly endpoints = new Map<string, Entry>();
  private readonly networks = new Map<string, NetworkIndex>();
  /** containerId → networkId → how many of the container's endpoints are on it. */
  private readonly containerNetworks = new Map<string, Map<string, number>>();
  private readonly memo = new Map<string, Map<string, LookupResult>>();

  /** Adds an endpoint, or replaces the one with the same id. */
  setEndpoint(ep: NameTableEndpoint): void {
    const ip = ep.ip.split('/')[0] ?? '';
    if (isIP(ip) === 0) throw invalid(`endpoint ${ep.id}: invalid address "${ep.ip}"`);
    if (ep.name === '') throw invalid(`endpoint ${ep.id}: empty name`);
    this.removeEndpoint(ep.id);
    const keys = [...new Set([ep.name, ...ep.aliases].map(normalize).filter((k) => k !== ''))];
    const entry: Entry = { ep: { ...ep, aliases: [...ep.aliases] }, ip, keys };
    this.endpoints.set(ep.id, entry);

    let net = this.networks.get(ep.networkId);
    if (net === undefined) {
      net = { name: '', suffix: '', byName: new Map(), byIp: new Map(), size: 0 };
      this.networks.set(ep.networkId, net);
    }
    net.name = ep.networkName;
    net.suffix = `.${normalize(ep.networkName)}`;
    net.size++;
    for (const key of keys) push(net.byName, key, entry);
    push(net.byIp, ip, entry);

    let nets = this.containerNetworks.get(ep.containerId);
    if (nets === undefined) {
      nets = new Map();
      this.containerNetworks.set(ep.containerId, nets);
    }
    nets.set(ep.networkId, (nets.get(ep.networkId) ?? 0) + 1);
    this.memo.clear();
  }

  /** Removes an endpoint; unknown ids are ignored, so it is safe to repeat. */
  removeEndpoint(id: string): void {
    const entry = this.endpoints.get(id);
    if (entry === undefined) return;
    this.endpoints.delete(id);
    const { networkId, containerId } = entry.ep;
    const net = this.networks.get(networkId);
    if (net !== undefined) {
      for (const key of entry.keys) pull(net.byName, key, entry);
      pull(net.byIp, entry.ip, entry);
      if (--net.size === 0) this.networks.delete(networkId);
    }
    const nets = this.containerNetworks.get(containerId);
    if (nets !== undefined) {
      const left = (nets.get(networkId) ?? 1) - 1;
      if (left > 0) nets.set(networkId, left);
      else nets.delete(networkId);
      if (nets.size === 0) this.containerNetworks.delete(containerId);
    }
    this.memo.clear();
  }

  lookup(asker: string, name: string): LookupResult {
    let memo = this.memo.get(asker);
    const known = memo?.get(name);
    if (known !== undefined) return known;
    const result = this.resolve(asker, normalize(name));
    if (memo === undefined) {
      memo = new Map();
      this.memo.set(asker, memo);
    } else if (memo.size >= MEMO_PER_ASKER) {
      memo.clear();
    }
    memo.set(name, result);
    return result;
  }

  reverse(asker: string, ip: string): string | undefined {
    const nets = this.containerNetworks.get(asker);
    if (nets === undefined) return undefined;
    for (const networkId of nets.keys()) {
      const net = this.networks.get(networkId);
      const entries = net?.byIp.get(ip);
      // The latest endpoint wins should a stale one still hold the address.
      const entry = entries?.[entries.length - 1];
      if (net !== undefined && entry !== undefined) return `${entry.ep.name}.${net.name}`;
    }
    return undefined;
  }

  private resolve(asker: string, q: string): LookupResult {
    const nets = this.containerNetworks.get(asker);
    if (nets === undefined || q === '') return FORWARD;
    const addresses: string[] = [];
    let underOwnNetwork = false;
    for (const networkId of nets.keys()) {
      const net = this.networks.get(networkId);
      if (net === undefined) continue;
      collect(addresses, net.byName.get(q));
      if (q.length > net.suffix.length && q.endsWith(net.suffix)) {
        underOwnNetwork = true;
        collect(addresses, net.byName.get(q.slice(0, -net.suffix.length)));
      }
    }
    if (addresses.length > 0) return Object.freeze({ kind: 'addresses', addresses: Object.freeze(addresses) });
    return underOwnNetwork ? NXDOMAIN : FORWARD;
  }
}

function normalize(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function collect(into: string[], entries: readonly Entry[] | undefined): void {
  if (entries === undefined) return;
  for (const e of entries) if (!into.includes(e.ip)) into.push(e.ip);
}

function push<K>(map: Map<K, Entry[]>, key: K, entry: Entry): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [entry]);
  else list.push(entry);
}

function pull<K>(map: Map<K, Entry[]>, key: K, entry: Entry): void {
  const list = map.get(key);
  if (list === undefined) return;
  const i = list.indexOf(entry);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) map.delete(key);
}
