// `docker ps` filters and options with moby's semantics (daemon/list.go), applied here so every
// backend lists the same way: name (regular expression on "/name"), id (prefix), status, label,
// network (name or id prefix), exited, ancestor, before/since, and the ones Weft can answer
// trivially (no volumes, ports or health checks).

import { invalid } from '../errors.js';
import { parseRfc3339Ns } from '../runtime/timestamps.js';
import type { ContainerView } from './backend.js';
import { parseGoBool } from './http.js';
import { validateFilterKeys, type FilterArgs } from './filters.js';

export const CONTAINER_LIST_FILTERS = [
  'ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name',
  'network', 'publish', 'since', 'status', 'volume',
] as const;

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ContainerListOptions {
  readonly all: boolean;
  /** The N most recently created, in any state (> 0). */
  readonly limit?: number;
  readonly filters: FilterArgs;
}

const values = (args: FilterArgs, key: string) => [...(args.get(key) ?? [])];

function nameMatcher(pattern: string): (name: string) => boolean {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    throw invalid(`invalid filter 'name=${pattern}': error parsing regexp`);
  }
  return (name) => re.test(`/${name}`) || re.test(name);
}

function labelsMatch(wanted: readonly string[], labels: Readonly<Record<string, string>>): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    return Object.hasOwn(labels, key) && (eq < 0 || labels[key] === w.slice(eq + 1));
  });
}

/** Creation instants compare as numbers: trimmed RFC3339Nano strings do not sort as text. */
const createdNs = (v: ContainerView) => parseRfc3339Ns(v.record.created);

/** Resolve `before=`/`since=` references among the listed containers (id, name or id prefix). */
function createdOf(all: readonly ContainerView[], ref: string): bigint {
  const found = all.find((v) => v.record.id === ref || v.record.name === ref.replace(/^\//, ''))
    ?? all.find((v) => v.record.id.startsWith(ref));
  if (!found) throw invalid(`No such container: ${ref}`);
  return createdNs(found);
}

/** moby's list: newest first, filtered, then limited. `views` must hold every container. */
export function filterContainers(views: readonly ContainerView[], opts: ContainerListOptions): ContainerView[] {
  const f = opts.filters;
  validateFilterKeys(f, CONTAINER_LIST_FILTERS);
  const statuses = values(f, 'status');
  for (const s of statuses) if (!STATUSES.includes(s)) throw invalid(`invalid filter 'status=${s}'`);
  const exited = values(f, 'exited').map((e) => {
    if (!/^-?\d+$/.test(e)) throw invalid(`invalid filter 'exited=${e}'`);
    return Number(e);
  });
  const names = values(f, 'name').map(nameMatcher);
  const ids = values(f, 'id');
  const labels = values(f, 'label');
  const networks = values(f, 'network');
  const ancestors = values(f, 'ancestor');
  const health = values(f, 'health');
  const isTask = values(f, 'is-task').map((v) => parseGoBool('is-task', v));
  const before = values(f, 'before').map((r) => createdOf(views, r));
  const since = values(f, 'since').map((r) => createdOf(views, r));
  // Weft containers have no volumes, published or exposed ports, nor health checks.
  const nothingMatches = ['volume', 'publish', 'expose'].some((k) => values(f, k).length > 0)
    || health.some((h) => h !== 'none') || isTask.some((t) => t);
  // A status or exit-code filter looks at every container, as in Docker.
  const all = opts.all || (opts.limit ?? 0) > 0 || statuses.length > 0 || exited.length > 0;

  const out = views.filter(({ record: c, networks: nets }) => {
    if (nothingMatches) return false;
    if (!all && c.state.status !== 'running') return false;
    if (statuses.length > 0 && !statuses.includes(c.state.status)) return false;
    if (exited.length > 0 && !(c.state.status === 'exited' && exited.includes(c.state.exitCode))) return false;
    if (names.length > 0 && !names.some((m) => m(c.name))) return false;
    if (ids.length > 0 && !ids.some((id) => c.id.startsWith(id))) return false;
    if (!labelsMatch(labels, c.config.labels)) return false;
    if (networks.length > 0 && !networks.some((n) => nets.some((net) => net.name === n || (net.networkId !== '' && net.networkId.startsWith(n))))) return false;
    if (ancestors.length > 0 && !ancestors.some((a) => c.config.image === a || c.imageId.replace(/^sha256:/, '').startsWith(a.replace(/^sha256:/, '')))) return false;
    const created = parseRfc3339Ns(c.created);
    if (before.some((t) => created >= t)) return false;
    if (since.some((t) => created <= t)) return false;
    return true;
  });
  out.sort((a, b) => { const d = createdNs(b) - createdNs(a); return d > 0n ? 1 : d < 0n ? -1 : 0; });
  return opts.limit !== undefined && opts.limit > 0 ? out.slice(0, opts.limit) : out;
}
