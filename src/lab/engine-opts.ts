// `--engine-opt KEY=VALUE` → weftd's `--KEY VALUE`, with the lab's defaults filled in. The lab
// always passes an explicit --dns (`none` unless given a resolver of the lab's own): weftd would
// otherwise forward containers' lookups to this box's resolver, outside the lab.
import { invalid } from '../errors.js';
import { defaultClusterStore, type LabConfig } from './naming.js';

export type EngineOpt = readonly [key: string, value: string];

/** Flags the lab sets itself from the machine's name and paths. */
const OWNED_BY_LAB = new Set(['host', 'H', 'data-root', 'exec-root', 'netns-prefix', 'hostname']);
const SINGLE = new Set(['cluster-store', 'cluster-advertise']);

export const DEFAULT_ADVERTISE = 'eth1:2376';

function parseOne(text: string): EngineOpt {
  const eq = text.indexOf('=');
  const key = eq > 0 ? text.slice(0, eq) : '';
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(key)) throw invalid(`invalid engine option "${text}": want KEY=VALUE`);
  if (OWNED_BY_LAB.has(key)) throw invalid(`engine option "${key}" is set by the lab for each machine`);
  return [key, text.slice(eq + 1)];
}

/**
 * A resolver the lab's machines may use: inside the lab's address ranges, or on a machine's own
 * loopback. Anything else is outside the lab (this box's resolver included).
 */
function isLabResolver(value: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::\d{1,5})?$/.exec(value);
  if (!m) return false;
  const [a, b] = m.slice(1, 3).map(Number) as [number, number];
  return (a === 198 && (b === 18 || b === 19)) || a === 127;
}

function checkDns(values: readonly string[]): void {
  if (values.length === 1 && values[0] === 'none') return;
  for (const v of values) {
    if (!isLabResolver(v)) {
      throw invalid(
        `engine option dns=${v}: a lab machine may only use a resolver inside the lab ` +
          '(198.18.0.0/15, or its own 127.0.0.0/8), or dns=none',
      );
    }
  }
}

/** The machine's complete weftd options: store, advertise address, DNS, then the rest in order. */
export function resolveEngineOpts(lab: LabConfig, given: readonly string[]): EngineOpt[] {
  const opts = given.map(parseOne);
  for (const key of SINGLE) {
    if (opts.filter(([k]) => k === key).length > 1) throw invalid(`engine option "${key}" given more than once`);
  }
  const value = (key: string) => opts.find(([k]) => k === key)?.[1];
  const dns = opts.filter(([k]) => k === 'dns').map(([, v]) => v);
  checkDns(dns);
  return [
    ['cluster-store', value('cluster-store') ?? defaultClusterStore(lab)],
    ['cluster-advertise', value('cluster-advertise') ?? DEFAULT_ADVERTISE],
    ...(dns.length > 0 ? dns : ['none']).map((v): EngineOpt => ['dns', v]),
    ...opts.filter(([k]) => !SINGLE.has(k) && k !== 'dns'),
  ];
}
