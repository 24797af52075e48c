// Nanosecond timestamps. Docker's log timestamps and `--since/--until` carry nanoseconds, which a
// JS Date cannot hold, so times are bigint nanoseconds since the epoch and RFC3339Nano strings.

const wallAtStart = BigInt(Date.now()) * 1_000_000n;
const monoAtStart = process.hrtime.bigint();

/** Now, in ns since the epoch: the wall clock at load time advanced by the monotonic clock. */
export function nowNs(): bigint {
  return wallAtStart + (process.hrtime.bigint() - monoAtStart);
}

/** Docker's zero time, used for "never" in inspect (`FinishedAt` of a running container). */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** RFC3339 with exactly nine fractional digits (what `docker logs -t` prints). */
export function formatNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${base}.${frac}Z`;
}

/** RFC3339Nano as Go prints it: trailing zeros of the fraction trimmed. */
export function formatNsTrimmed(ns: bigint): string {
  const fixed = formatNs(ns);
  return fixed.replace(/\.?0+Z$/, 'Z');
}

/** Parses RFC3339 with an optional fraction of up to nine digits and a Z or ±hh:mm offset. */
export function parseRfc3339Ns(s: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) throw new Error(`invalid RFC3339 time: ${s}`);
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) throw new Error(`invalid RFC3339 time: ${s}`);
  const frac = BigInt((m[2] ?? '').padEnd(9, '0'));
  return BigInt(seconds) * 1_000_000n + frac;
}

/**
 * Parses the API's `since`/`until` values: the CLI sends unix seconds with an optional
 * nine-digit fraction ("1700000000.000000000"); RFC3339 is accepted as well.
 */
export function parseApiTimestamp(s: string): bigint {
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(s);
  if (m) return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  return parseRfc3339Ns(s);
}
