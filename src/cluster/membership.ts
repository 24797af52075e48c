// This host's membership in the cluster: a lease, and the host record held under it. Every
// record this host owns (endpoints, addresses) is held under the same lease, so when the host
// dies they all expire together and every other host drops them from its data plane.
//
// If the lease is lost while the daemon lives (a long store outage, a ZooKeeper session
// expiry), a new one is granted and the host record re-registered; `onRenewed` listeners
// re-publish what they own.
import type { Lease, Store } from '../store/store.js';
import { keys } from './keys.js';
import type { HostRecord } from './types.js';

export interface MembershipLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class Membership {
  private current: Lease | undefined;
  private readonly renewed = new Set<(lease: Lease) => void>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly ttlSeconds: number,
    readonly host: HostRecord,
    private readonly log: MembershipLogger,
  ) {}

  async start(): Promise<void> {
    await this.acquire();
  }

  lease(): Lease {
    if (!this.current) throw new Error('membership not started');
    return this.current;
  }

  onRenewed(listener: (lease: Lease) => void): () => void {
    this.renewed.add(listener);
    return () => this.renewed.delete(listener);
  }

  /** Leave the cluster: revoking the lease removes every record this host owns. */
  async stop(): Promise<void> {
    this.closed = true;
    await this.current?.revoke().catch(() => {});
  }

  private async acquire(): Promise<void> {
    const lease = await this.store.grantLease(this.ttlSeconds);
    const key = keys.host(this.host.name);
    const value = JSON.stringify(this.host);
    // A record left by an earlier incarnation whose lease has not expired yet is replaced.
    for (;;) {
      const existing = await this.store.get(key);
      const ok = existing
        ? await this.store.compareAndSwap(key, value, existing.revision, { lease })
        : await this.store.create(key, value, { lease });
      if (ok) break;
    }
    this.current = lease;
    lease.onLost((err) => void this.relinquish(lease, err));
    this.log.info({ host: this.host.name, lease: lease.id, ttl: this.ttlSeconds }, 'registered in the cluster');
  }

  private async relinquish(lost: Lease, err: Error): Promise<void> {
    if (this.closed || this.current !== lost) return;
    this.log.error({ err: err.message, lease: lost.id }, 'cluster lease lost; registering again');
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this.acquire();
        for (const l of this.renewed) l(this.current!);
        return;
      } catch (e) {
        this.log.error({ err: (e as Error).message, attempt }, 'cannot register in the cluster yet');
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt)));
      }
    }
  }
}
