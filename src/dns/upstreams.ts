// Which upstream resolver a forwarded query tries next. Pure logic with an injected clock.
//
// An upstream that timed out, refused or could not be sent to is "down" for a while and
// skipped, so that one dead resolver costs one timeout, not one per query. When every upstream a
// query may still try is down, one query is let through to each as a probe, at most one a
// `probeIntervalMs`: an outage then costs one waiting query per upstream per interval — even
// when queries come one after another, as a client retrying does — while every other query gets
// its SERVFAIL at once, and the first probe that gets an answer brings the upstream back.
import { isIPv4, isIPv6 } from 'node:net';
import { invalid } from '../errors.js';

export interface Upstream {
  readonly ip: string;
  readonly port: number;
  /** As configured, for logs. */
  readonly label: string;
}

/** resolv.conf allows 3; more than this many is a configuration mistake. */
export const MAX_UPSTREAMS = 16;

/** "ip" or "ip:port" (IPv4 only: the forwarding socket is AF_INET). */
export function parseUpstream(spec: string): Upstream {
  const m = /^([0-9.]+)(?::([0-9]{1,5}))?$/.exec(spec.trim());
  const ip = m?.[1];
  const port = m?.[2] === undefined ? 53 : Number(m[2]);
  if (ip === undefined || !isIPv4(ip) || port < 1 || port > 65535) {
    throw invalid(`invalid DNS upstream "${spec}": expected an IPv4 address, optionally with ":port"`);
  }
  return { ip, port, label: `${ip}:${port}` };
}

export function parseUpstreams(specs: readonly string[]): Upstream[] {
  if (specs.length > MAX_UPSTREAMS) throw invalid(`too many DNS upstreams (${specs.length}); at most ${MAX_UPSTREAMS}`);
  return specs.map(parseUpstream);
}

/**
 * An IPv6 upstream ("2001:db8::1", "[2001:db8::1]:53", "fe80::1%eth0"): a valid resolver that
 * the IPv4-only forwarding socket cannot reach. Hosts often list one in resolv.conf, so the
 * resolver skips these with a warning rather than refusing to start.
 */
export function isIpv6Upstream(spec: string): boolean {
  const s = spec.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s)?.[1];
  return isIPv6((bracketed ?? s).split('%')[0] ?? '');
}

export interface UpstreamHealthOptions {
  readonly count: number;
  /** How long an upstream is skipped after a failure. */
  readonly downForMs: number;
  /** Least time between two probes of a down upstream. Default 1 s. */
  readonly probeIntervalMs?: number;
  readonly now: () => number;
  /** Told when an upstream goes down or comes back (state changes only, never per query). */
  readonly onChange?: (index: number, up: boolean) => void;
}

export class UpstreamHealth {
  private readonly downUntil: number[];
  private readonly probing: boolean[];
  private readonly lastProbe: number[];

  constructor(private readonly opts: UpstreamHealthOptions) {
    this.downUntil = new Array<number>(opts.count).fill(0);
    this.probing = new Array<boolean>(opts.count).fill(false);
    this.lastProbe = new Array<number>(opts.count).fill(-Infinity);
  }

  /**
   * The next upstream for a query that has already tried the ones in `tried` (a bit mask), or
   * -1 when there is none: the first one in configured order that is up, else a probe.
   */
  pick(tried: number): number {
    const now = this.opts.now();
    for (let i = 0; i < this.opts.count; i++) {
      if ((tried & (1 << i)) === 0 && now >= this.downUntil[i]!) return i;
    }
    for (let i = 0; i < this.opts.count; i++) {
      if ((tried & (1 << i)) === 0 && !this.probing[i] && now - this.lastProbe[i]! >= (this.opts.probeIntervalMs ?? 1000)) {
        this.probing[i] = true;
        this.lastProbe[i] = now;
        return i;
      }
    }
    return -1;
  }

  isDown(index: number): boolean {
    return this.opts.now() < this.downUntil[index]!;
  }

  /** An attempt at `index` ended without an answer (timeout, refusal, send error). */
  failed(index: number): void {
    const wasUp = !this.isDown(index);
    this.probing[index] = false;
    // The failure itself counts as the latest probe: the next one waits a full interval.
    this.lastProbe[index] = this.opts.now();
    this.downUntil[index] = this.opts.now() + this.opts.downForMs;
    if (wasUp) this.opts.onChange?.(index, false);
  }

  /** `index` answered. */
  answered(index: number): void {
    const wasDown = this.isDown(index);
    this.probing[index] = false;
    this.downUntil[index] = 0;
    if (wasDown) this.opts.onChange?.(index, true);
  }

  /** An attempt at `index` was abandoned (e.g. the resolver is closing): neither verdict. */
  abandoned(index: number): void {
    this.probing[index] = false;
  }
}
