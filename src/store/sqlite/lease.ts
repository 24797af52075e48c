// A lease held by this process: background keep-alive and the one-shot "lost" notification.
// The lease's truth lives in the shared file (leases.expires_at); this object only refreshes it
// and reports when a refresh finds it gone.
import { LeaseLostError, type Lease } from '../store.js';

/** What a lease needs from its store; each call is one transaction on the shared file. */
export interface LeaseBackend {
  /** Push the expiry out by the ttl. Rejects with LeaseLostError if the lease is gone. */
  refresh(id: number): Promise<void>;
  /** Delete the lease and its keys. Succeeds if it is already gone. */
  revoke(id: number): Promise<void>;
  /** The store forgets this lease object (it was revoked or lost). */
  release(lease: SqliteLease): void;
}

export class SqliteLease implements Lease {
  readonly id: string;
  private readonly listeners = new Set<(err: Error) => void>();
  private timer: NodeJS.Timeout | undefined;
  private lost: Error | undefined;
  private revoked = false;

  constructor(
    readonly numericId: number,
    readonly ttlSeconds: number,
    private readonly backend: LeaseBackend,
    keepAlive: boolean,
  ) {
    this.id = String(numericId);
    if (keepAlive) {
      // A third of the ttl leaves two more chances if one refresh is slow or hits a busy file.
      // unref: a lease alone must not keep the process alive.
      this.timer = setInterval(() => void this.keepAliveTick(), (ttlSeconds * 1000) / 3).unref();
    }
  }

  async keepAliveOnce(): Promise<void> {
    if (this.lost) throw this.lost;
    try {
      await this.backend.refresh(this.numericId);
    } catch (err) {
      if (err instanceof LeaseLostError) this.markLost(err);
      throw err;
    }
  }

  async revoke(): Promise<void> {
    this.revoked = true;
    this.stop();
    this.backend.release(this);
    await this.backend.revoke(this.numericId);
  }

  onLost(listener: (err: Error) => void): () => void {
    const lost = this.lost;
    if (lost) {
      // Subscribed too late to be told when it happened: tell now, still asynchronously.
      queueMicrotask(() => listener(lost));
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The lease is gone (found by a refresh or a write). Our own revoke is not a loss. */
  markLost(err: Error): void {
    if (this.lost || this.revoked) return;
    this.lost = err;
    this.stop();
    this.backend.release(this);
    const listeners = [...this.listeners];
    this.listeners.clear();
    // One microtask each: a throwing listener neither stops the others nor the caller.
    for (const listener of listeners) queueMicrotask(() => listener(err));
  }

  /** Stop refreshing (store closing): the lease then lives until its expiry, like after a crash. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async keepAliveTick(): Promise<void> {
    try {
      await this.backend.refresh(this.numericId);
    } catch (err) {
      // Anything but a loss (a busy or unavailable file) is retried at the next tick; if that
      // lasts past the expiry, the next refresh reports the loss.
      if (err instanceof LeaseLostError) this.markLost(err);
    }
  }
}
