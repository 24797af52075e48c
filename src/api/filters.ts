// Docker's `filters` query parameter (moby api/types/filters): URL-encoded JSON, normally
// map[string]map[string]bool, or the legacy map[string][]string. Network list and prune
// filters are applied here with moby's semantics, so every backend filters the same way.

import { invalid } from '../errors.js';
import type { NetworkPruneFilters, NetworkView } from './backend.js';

/** Filter key → set of values. */
export type FilterArgs = ReadonlyMap<string, ReadonlySet<string>>;

const PREDEFINED = new Set(['bridge', 'host', 'none']);

export function parseFilters(param: string | null): FilterArgs {
  const args = new Map<string, Set<string>>();
  if (param === null || param === '') return args;
  let raw: unknown;
  try {
    raw = JSON.parse(param);
  } catch {
    throw invalid('invalid filter');
  }
  if (raw === null) return args;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid('invalid filter');
  for (const [key, values] of Object.entries(raw as Record<string, unknown>)) {
    const set = new Set<string>();
    if (Array.isArray(values) && values.every((v) => typeof v === 'string')) {
      for (const v of values) set.add(v);
    } else if (values !== null && typeof values === 'object' && !Array.isArray(values)) {
      for (const [v, on] of Object.entries(values)) {
        if (typeof on !== 'boolean') throw invalid('invalid filter');
        // moby keeps `false` entries too: presence of the key is what counts.
        set.add(v);
      }
    } else if (values !== null) {
      throw invalid('invalid filter');
    }
    args.set(key, set);
  }
  return args;
}

/** moby's Args.Validate: an unknown key is refused. */
export function validateFilterKeys(args: FilterArgs, accepted: readonly string[]): void {
  for (const key of args.keys()) {
    if (!accepted.includes(key)) throw invalid(`invalid filter '${key}'`);
  }
}

const exactMatch = (values: ReadonlySet<string> | undefined, source: string) =>
  values === undefined || values.size === 0 || values.has(source);

/** moby's Args.MatchKVList: every `k` / `k=v` must be present in the labels. */
function matchKVList(values: ReadonlySet<string> | Iterable<string> | undefined, labels: Readonly<Record<string, string>>): boolean {
  const list = values === undefined ? [] : [...values];
  if (list.length === 0) return true;
  if (Object.keys(labels).length === 0) return false;
  return list.every((value) => {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    if (!Object.hasOwn(labels, key)) return false;
    return eq < 0 || labels[key] === value.slice(eq + 1);
  });
}

export const NETWORK_LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;

const isPredefined = (n: NetworkView) => n.predefined === true || PREDEFINED.has(n.name);

/**
 * Apply `network ls` filters. `name` matches a substring (moby matches a regular expression;
 * plain names behave the same), `id` an id prefix, `label` `k` or `k=v`; `driver` and `scope`
 * match exactly; `type` is `custom` or `builtin`; `dangling` keeps unused custom networks.
 */
export function filterNetworks(networks: readonly NetworkView[], args: FilterArgs): NetworkView[] {
  validateFilterKeys(args, NETWORK_LIST_FILTERS);
  const names = [...(args.get('name') ?? [])];
  const ids = [...(args.get('id') ?? [])];
  let out = networks.filter(
    (n) =>
      exactMatch(args.get('driver'), n.driver) &&
      exactMatch(args.get('scope'), n.scope) &&
      (!args.has('name') || names.length === 0 || names.some((v) => n.name.includes(v))) &&
      (!args.has('id') || ids.length === 0 || ids.some((v) => n.id.startsWith(v))) &&
      matchKVList(args.get('label'), n.labels),
  );

  const dangling = [...(args.get('dangling') ?? [])];
  if (dangling.length > 1) throw invalid('got more than one value for filter key "dangling"');
  if (dangling.length === 1) {
    let only: boolean;
    if (dangling[0] === '1' || dangling[0] === 'true') only = true;
    else if (dangling[0] === '0' || dangling[0] === 'false') only = false;
    else throw invalid(`invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`);
    const inUse = (n: NetworkView) => isPredefined(n) || Object.keys(n.containers).length > 0;
    out = out.filter((n) => (only ? !inUse(n) : inUse(n)));
  }

  const types = args.get('type');
  if (types !== undefined) {
    const kept: NetworkView[] = [];
    for (const t of types) {
      if (t === 'builtin') kept.push(...out.filter(isPredefined));
      else if (t === 'custom') kept.push(...out.filter((n) => !isPredefined(n)));
      else throw invalid(`invalid filter: 'type'='${t}'`);
    }
    out = kept;
  }
  return out;
}

const GO_DURATION = /^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** moby's timetypes.GetTimestamp, for `until`: a Go duration ago, a unix time, or a date. */
export function parseUntil(value: string, now: Date): Date {
  if (GO_DURATION.test(value)) {
    const sign = value.startsWith('-') ? -1 : 1;
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return new Date(now.getTime() - sign * ms);
  }
  if (/^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw invalid(`failed to parse value as time or duration: "${value}"`);
}

export const NETWORK_PRUNE_FILTERS = ['label', 'label!', 'until'] as const;

export function parsePruneFilters(args: FilterArgs, now = new Date()): NetworkPruneFilters {
  validateFilterKeys(args, NETWORK_PRUNE_FILTERS);
  const until = [...(args.get('until') ?? [])];
  if (until.length > 1) throw invalid('more than one until filter specified');
  return {
    ...(until.length === 1 ? { until: parseUntil(until[0]!, now) } : {}),
    labels: [...(args.get('label') ?? [])],
    labelsNot: [...(args.get('label!') ?? [])],
  };
}

/** Whether prune filters select this network (the backend still skips predefined/in-use ones). */
export function matchesPruneFilters(network: Pick<NetworkView, 'created' | 'labels'>, f: NetworkPruneFilters): boolean {
  if (f.until !== undefined && Date.parse(network.created) > f.until.getTime()) return false;
  if (!matchKVList(f.labels, network.labels)) return false;
  if (f.labelsNot.length > 0 && matchKVList(f.labelsNot, network.labels)) return false;
  return true;
}
