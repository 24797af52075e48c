// The report: one table on stdout (figure, target, Docker 20.10 classic reference, met?) and
// bench/results/latest.json (every figure as a top-level number, the parameters, the raw samples,
// notes and errors). Targets are printed, never enforced: the exit code only says whether every
// measurement ran.
import fs from 'node:fs';
import path from 'node:path';

export type Figures = Record<string, number | null>;

interface Row {
  readonly key: string;
  readonly what: string;
  readonly unit: string;
  readonly target?: { readonly op: '<=' | '>='; readonly value: number };
  /** Docker 20.10 classic overlay with etcd on this machine kind (shared/DESIGN.md). */
  readonly docker?: string;
  readonly digits?: number;
}

const ROWS: readonly (Row | string)[] = [
  'Data plane (iperf3 one TCP stream, ping; container↔container across hosts vs host↔host on the lab LAN)',
  { key: 'overlay_gbps', what: 'overlay throughput', unit: 'Gbit/s', docker: '8.5–10.7', digits: 2 },
  { key: 'underlay_gbps', what: 'underlay throughput', unit: 'Gbit/s', docker: '10.8–14.2', digits: 2 },
  { key: 'overlay_underlay_throughput_ratio', what: 'overlay / underlay', unit: '', target: { op: '>=', value: 0.85 }, docker: '0.72–0.79', digits: 3 },
  { key: 'overlay_rtt_ms', what: 'overlay ping RTT (median)', unit: 'ms', docker: '0.19–0.22' },
  { key: 'underlay_rtt_ms', what: 'underlay ping RTT (median)', unit: 'ms', docker: '0.10–0.15' },
  'Control plane (real docker CLI, end to end)',
  { key: 'run_ms_median', what: 'docker run -d --net appnet (median)', unit: 'ms', target: { op: '<=', value: 100 }, docker: '505–710', digits: 1 },
  { key: 'run_ms_p95', what: 'docker run -d --net appnet (p95)', unit: 'ms', digits: 1 },
  { key: 'run_api_create_ms_median', what: '  of which API create (median)', unit: 'ms', digits: 1 },
  { key: 'run_api_start_ms_median', what: '  of which API start (median)', unit: 'ms', digits: 1 },
  { key: 'cli_floor_ms_median', what: '  docker CLI floor: docker version (median)', unit: 'ms', digits: 1 },
  { key: 'attach_ms_median', what: 'overlay attach, data plane (median)', unit: 'ms', target: { op: '<=', value: 15 }, digits: 1 },
  { key: 'network_create_ms_median', what: 'docker network create -d overlay', unit: 'ms', target: { op: '<=', value: 20 }, docker: '91–114', digits: 1 },
  { key: 'convergence_ms_median', what: 'name resolves on host2, etcd (median)', unit: 'ms', target: { op: '<=', value: 25 }, docker: '100–165', digits: 1 },
  { key: 'convergence_ms_p99', what: 'name resolves on host2, etcd (p99)', unit: 'ms', target: { op: '<=', value: 50 }, digits: 1 },
  { key: 'convergence_cli_ms_median', what: '  of which docker CLI until POST start reaches weftd (median)', unit: 'ms', digits: 1 },
  { key: 'convergence_after_start_ms_median', what: '  of which POST start reached weftd → name resolves (median)', unit: 'ms', digits: 1 },
  { key: 'convergence_after_start_ms_p99', what: '  of which POST start reached weftd → name resolves (p99)', unit: 'ms', digits: 1 },
  { key: 'convergence_ms_median_sqlite', what: 'name resolves on host2, sqlite (median)', unit: 'ms', digits: 1 },
  { key: 'convergence_ms_p99_sqlite', what: 'name resolves on host2, sqlite (p99)', unit: 'ms', digits: 1 },
  { key: 'convergence_after_start_ms_median_sqlite', what: '  of which POST start reached weftd → name resolves (median)', unit: 'ms', digits: 1 },
  { key: 'convergence_ms_median_zookeeper', what: 'name resolves on host2, ZooKeeper (median)', unit: 'ms', digits: 1 },
  { key: 'convergence_ms_p99_zookeeper', what: 'name resolves on host2, ZooKeeper (p99)', unit: 'ms', digits: 1 },
  { key: 'convergence_after_start_ms_median_zookeeper', what: '  of which POST start reached weftd → name resolves (median)', unit: 'ms', digits: 1 },
  { key: 'first_ping_ms_median', what: 'first ping across hosts succeeds (median)', unit: 'ms', digits: 1 },
  { key: 'first_reach_ms_median', what: '  first TCP SYN→RST across hosts, in-process (median)', unit: 'ms', digits: 1 },
  { key: 'reach_after_resolve_ms_median', what: '  name resolvable but not yet reachable (median)', unit: 'ms', digits: 2 },
  { key: 'reach_after_resolve_ms_max', what: '  name resolvable but not yet reachable (max)', unit: 'ms', digits: 2 },
  'Embedded DNS at 127.0.0.11 (dnsperf in a container netns; dnsmasq on 127.0.0.12 in the same netns as reference)',
  { key: 'dns_qps', what: 'weft, 20 in flight', unit: 'q/s', target: { op: '>=', value: 60_000 }, docker: '13k–19k', digits: 0 },
  { key: 'dns_avg_ms', what: 'weft, 20 in flight, average', unit: 'ms', target: { op: '<=', value: 0.3 }, docker: '1.0–1.2' },
  { key: 'dns_p99_ms', what: 'weft, 20 in flight, p99', unit: 'ms' },
  { key: 'dns_qps_1_in_flight', what: 'weft, 1 in flight', unit: 'q/s', docker: '5.7k–7.1k', digits: 0 },
  { key: 'dnsmasq_qps', what: 'dnsmasq, 20 in flight', unit: 'q/s', digits: 0 },
  { key: 'dnsmasq_avg_ms', what: 'dnsmasq, 20 in flight, average', unit: 'ms' },
  { key: 'dns_qps_vs_dnsmasq', what: 'weft / dnsmasq q/s (median of pairs)', unit: '', digits: 3 },
  { key: 'dns_unknown_ms', what: 'unknown name, upstream port closed (median)', unit: 'ms', target: { op: '<=', value: 5 }, docker: 'no reply (2.1 s dig timeout)' },
  { key: 'dns_unknown_blackhole_ms', what: 'unknown name, upstream drops (median after 1st)', unit: 'ms', target: { op: '<=', value: 5 }, docker: 'no reply (2.1 s dig timeout)' },
  { key: 'dns_unknown_blackhole_first_ms', what: '  first query to the dropping upstream', unit: 'ms', digits: 1 },
  'weftd memory (VmRSS)',
  { key: 'weftd_rss_mb_idle', what: 'idle, no containers', unit: 'MB', digits: 1 },
  { key: 'weftd_rss_mb_100_containers', what: '100 containers on its host', unit: 'MB', target: { op: '<=', value: 80 }, digits: 1 },
  { key: 'weftd_rss_mb_loaded', what: 'with {weftd_rss_loaded_containers} containers on its host', unit: 'MB', digits: 1 },
  'Scale (sqlite store; all-pairs reachability sampled)',
  { key: 'scale_hosts', what: 'hosts', unit: '', digits: 0 },
  { key: 'scale_containers', what: 'containers (total)', unit: '', digits: 0 },
  { key: 'scale_setup_s', what: 'hosts + network + containers', unit: 's', digits: 1 },
  { key: 'scale_containers_s', what: '  of which docker run of all containers', unit: 's', digits: 1 },
  { key: 'scale_fdb_entries_per_host', what: 'FDB entries per host (median)', unit: '', digits: 0 },
  { key: 'scale_fdb_expected_per_host', what: '  expected: (hosts−1) × containers per host', unit: '', digits: 0 },
  { key: 'scale_ping_ok', what: 'sampled pairs that ping', unit: '', digits: 0 },
  { key: 'scale_ping_pairs', what: '  pairs sampled', unit: '', digits: 0 },
  { key: 'weftd_rss_mb_scale_median', what: 'weftd RSS at scale (median over hosts)', unit: 'MB', digits: 1 },
];

function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return '—';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function status(row: Row, v: number | null | undefined): string {
  if (!row.target) return '';
  if (v === null || v === undefined) return 'not measured';
  const ok = row.target.op === '<=' ? v <= row.target.value : v >= row.target.value;
  return ok ? 'met' : 'NOT MET';
}

export function renderTable(figures: Figures, smoke: boolean): string {
  const lines: string[][] = [];
  const header = ['figure', 'measured', 'unit', 'target', 'Docker 20.10', 'target met?'];
  for (const r of ROWS) {
    if (typeof r === 'string') {
      lines.push([`## ${r}`]);
      continue;
    }
    const v = figures[r.key];
    const target = r.target ? `${r.target.op === '<=' ? '≤' : '≥'} ${fmt(r.target.value)}` : '';
    const what = r.what.replace(/\{(\w+)\}/g, (_m, k: string) => fmt(figures[k], 0));
    lines.push([what, fmt(v, r.digits), r.unit, target, r.docker ?? '', status(r, v)]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.filter((l) => l.length > 1).map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [row(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const l of lines) out.push(l.length === 1 ? `\n${l[0]}` : row(l));
  if (smoke) out.push('', 'SMOKE=1: tiny sizes and few repetitions; the figures show the benchmark works, not how fast Weft is.');
  return out.join('\n');
}

export interface ResultFile {
  readonly schema: 1;
  readonly smoke: boolean;
  readonly lab: string;
  readonly started_at: string;
  readonly finished_at: string;
  readonly duration_s: number;
  readonly params: Record<string, unknown>;
  readonly environment: Record<string, unknown>;
  readonly figures: Figures;
  readonly samples: Record<string, readonly number[]>;
  readonly details: Record<string, unknown>;
  readonly notes: readonly string[];
  readonly errors: readonly string[];
}

/**
 * bench/results/latest.json (and smoke.json or default.json beside it); a run of only some
 * phases (BENCH_ONLY) writes partial.json instead and leaves those alone. Figures are top-level keys.
 */
export function writeResults(dir: string, r: ResultFile, partial: boolean): string {
  fs.mkdirSync(dir, { recursive: true });
  const { figures, ...rest } = r;
  const flat = { ...figures, ...rest };
  const text = `${JSON.stringify(flat, null, 2)}\n`;
  if (partial) {
    const file = path.join(dir, 'partial.json');
    fs.writeFileSync(file, text);
    return file;
  }
  const latest = path.join(dir, 'latest.json');
  fs.writeFileSync(latest, text);
  fs.writeFileSync(path.join(dir, r.smoke ? 'smoke.json' : 'default.json'), text);
  return latest;
}
