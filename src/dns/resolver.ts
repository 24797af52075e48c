// The embedded DNS server: one per weftd, serving 127.0.0.11:53 inside every container that is
// attached to it (DESIGN.md "Embedded DNS").
//
// - Names come from a NameLookup (STYLE.md §11); the server knows nothing of networks.
// - Local A answers carry TTL 600 and rotate per query (round-robin); AAAA for a local name is
//   an empty NOERROR; PTR for a local address is the lookup's name; `nxdomain` is answered at
//   once and never forwarded.
// - Everything else is forwarded, from the container's own namespace, to the upstreams in
//   order: each gets `upstreamTimeoutMs`, a failing one is skipped for `upstreamDownForMs`, and
//   a query nobody answered within `queryBudgetMs` (under a second) gets SERVFAIL. Unlike
//   Docker 20.10, which stays silent, every query gets an answer.
import type { NetnsSocketBinder } from '../dataplane/netns-socket.js';
import { unavailable } from '../errors.js';
import { SerialQueues } from '../util/serial.js';
import { Attachment, emptyStats, type ResolverStats } from './attachment.js';
import { type Logger, silentLogger } from './logger.js';
import type { NameLookup } from './lookup.js';
import { isIpv6Upstream, parseUpstreams, type Upstream, UpstreamHealth } from './upstreams.js';

export type { ResolverStats } from './attachment.js';

export interface ResolverOptions {
  readonly lookup: NameLookup;
  readonly binder: NetnsSocketBinder;
  /**
   * "ip" or "ip:port" (IPv4), tried in this order; IPv6 ones are skipped with a warning, anything
   * else invalid throws. None: non-local names get SERVFAIL at once.
   */
  readonly upstreams: readonly string[];
  /** How long one upstream gets before the next is asked. Default 300 ms. */
  readonly upstreamTimeoutMs?: number;
  /** How long an upstream that failed is skipped. Default 5 s. */
  readonly upstreamDownForMs?: number;
  /** Hard limit from query to SERVFAIL across all upstreams. Default 900 ms. */
  readonly queryBudgetMs?: number;
  readonly logger?: Logger;
  /** Monotonic milliseconds; for tests. */
  readonly now?: () => number;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 300;
export const DEFAULT_UPSTREAM_DOWN_FOR_MS = 5_000;
export const DEFAULT_QUERY_BUDGET_MS = 900;

export class Resolver {
  private readonly upstreams: readonly Upstream[];
  private readonly attachments = new Map<string, Attachment>();
  private readonly serial = new SerialQueues();
  private readonly counters = emptyStats();
  private readonly logger: Logger;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly opts: ResolverOptions) {
    this.logger = opts.logger ?? silentLogger;
    const ipv6 = opts.upstreams.filter(isIpv6Upstream);
    if (ipv6.length > 0) this.logger.warn({ upstreams: ipv6 }, 'IPv6 DNS upstreams are not supported; skipping them');
    this.upstreams = parseUpstreams(opts.upstreams.filter((u) => !isIpv6Upstream(u)));
    this.now = opts.now ?? (() => performance.now());
  }

  /**
   * Serves DNS inside the network namespace at `nsPath` (its loopback must be up) for `asker`.
   * Attaching an attached asker again to the same namespace does nothing; to another one, it
   * moves (the old sockets are closed first).
   */
  attach(asker: string, nsPath: string): Promise<void> {
    return this.serial.run(asker, async () => {
      if (this.closed) throw unavailable('the DNS resolver is closed');
      const existing = this.attachments.get(asker);
      if (existing?.nsPath === nsPath) return;
      if (existing !== undefined) {
        this.attachments.delete(asker);
        await existing.close();
      }
      const sockets = await this.opts.binder.bind(nsPath);
      const health = new UpstreamHealth({
        count: this.upstreams.length,
        downForMs: this.opts.upstreamDownForMs ?? DEFAULT_UPSTREAM_DOWN_FOR_MS,
        now: this.now,
        onChange: (index, up) =>
          this.logger.warn({ asker, upstream: this.upstreams[index]?.label, up }, up ? 'DNS upstream answers again' : 'DNS upstream not answering; skipping it for a while'),
      });
      const attachment = new Attachment({
        asker,
        nsPath,
        sockets,
        lookup: this.opts.lookup,
        upstreams: this.upstreams,
        health,
        upstreamTimeoutMs: this.opts.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
        queryBudgetMs: this.opts.queryBudgetMs ?? DEFAULT_QUERY_BUDGET_MS,
        now: this.now,
        stats: this.counters,
        logger: this.logger,
      });
      if (this.closed) {
        await attachment.close();
        throw unavailable('the DNS resolver is closed');
      }
      this.attachments.set(asker, attachment);
      this.logger.debug({ asker, nsPath, sockets: this.opts.binder.kind }, 'DNS attached');
    });
  }

  /** Stops serving `asker`. Safe to repeat, and for askers never attached. */
  detach(asker: string): Promise<void> {
    return this.serial.run(asker, async () => {
      const attachment = this.attachments.get(asker);
      if (attachment === undefined) return;
      this.attachments.delete(asker);
      await attachment.close();
      this.logger.debug({ asker }, 'DNS detached');
    });
  }

  /** Detaches everyone; later attach() calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.attachments.keys()].map((asker) => this.detach(asker)));
  }

  isAttached(asker: string): boolean {
    return this.attachments.has(asker);
  }

  stats(): Readonly<ResolverStats> {
    return { ...this.counters };
  }
}
