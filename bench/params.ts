// The run's parameters, from the environment (the Makefile passes SMOKE; `make bench HOSTS=20
// CONTAINERS=50` puts HOSTS and CONTAINERS in the environment too, since make exports
// command-line variables to recipes). SMOKE=1 keeps every measurement but shrinks it, so CI runs
// every code path in a couple of minutes; the default sizes fit in 20 minutes on 2 cores.

export type StoreKind = 'sqlite' | 'etcd' | 'zookeeper';

export interface Params {
  readonly smoke: boolean;
  /** Scale test: hosts × containers per host. */
  readonly hosts: number;
  readonly containers: number;
  /** Reachability pairs sampled (one ping each) in the scale test. */
  readonly scalePairs: number;
  /** `docker run -d` samples (the issue asks for at least 20). */
  readonly runSamples: number;
  /** API-level create/start samples (where `docker run` spends its time). */
  readonly apiSamples: number;
  readonly netCreateSamples: number;
  readonly iperfSeconds: number;
  /** Overlay/underlay pairs, alternated. */
  readonly iperfRepeats: number;
  readonly pingCount: number;
  readonly dnsperfSeconds: number;
  /** weft/dnsmasq pairs, alternated. */
  readonly dnsperfRepeats: number;
  readonly unknownQueries: number;
  /** Convergence trials per store (etcd carries the targets, so it gets as many as sqlite). */
  readonly convergenceSamples: Readonly<Record<StoreKind, number>>;
  /** Containers on one host for the loaded-RSS figure. */
  readonly rssContainers: number;
  /** Which stores to measure convergence on (BENCH_STORES=sqlite,etcd,zookeeper). */
  readonly stores: readonly StoreKind[];
  /** Phases to run (BENCH_ONLY=throughput,dns,…), for working on one measurement. */
  readonly only: readonly string[] | undefined;
}

function intFromEnv(name: string, fallback: number, lo: number, hi: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${name}=${raw}: want a whole number from ${lo} to ${hi}`);
  return n;
}

export function paramsFromEnv(): Params {
  const smoke = process.env.SMOKE === '1' || process.env.SMOKE === 'true';
  const stores = (process.env.BENCH_STORES ?? 'sqlite,etcd,zookeeper').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of stores) if (!['sqlite', 'etcd', 'zookeeper'].includes(s)) throw new Error(`BENCH_STORES: unknown store ${s}`);
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    smoke,
    // The lab LAN is a /24 whose .1 is the LAN itself and .254 the benchmark's black hole.
    hosts: intFromEnv('HOSTS', smoke ? 3 : 10, 2, 200),
    containers: intFromEnv('CONTAINERS', smoke ? 3 : 30, 1, 500),
    scalePairs: smoke ? 5 : 50,
    runSamples: smoke ? 5 : 30,
    apiSamples: smoke ? 3 : 20,
    netCreateSamples: smoke ? 3 : 20,
    iperfSeconds: smoke ? 2 : 6,
    iperfRepeats: smoke ? 1 : 5,
    pingCount: smoke ? 5 : 50,
    dnsperfSeconds: smoke ? 2 : 4,
    dnsperfRepeats: smoke ? 1 : 5,
    unknownQueries: smoke ? 5 : 30,
    convergenceSamples: smoke ? { sqlite: 5, etcd: 5, zookeeper: 3 } : { sqlite: 100, etcd: 100, zookeeper: 50 },
    rssContainers: smoke ? 20 : 100,
    stores: stores as StoreKind[],
    only: only && only.length > 0 ? only : undefined,
  };
}
