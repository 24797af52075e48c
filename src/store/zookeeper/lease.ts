// A lease is a ZooKeeper session of its own: the keys written under it are ephemeral znodes
// created by that session, the server deletes them all when the session expires or is closed,
// and "lost" is the session's expiry.
//
// - keepAlive (the default): the client pings while idle, so the session lives while a server
//   is reachable. Without it, pings are off and only keepAliveOnce (or a write under the lease)
//   keeps the session alive, so it expires ttl after the last one.
// - The ttl is the session timeout; the server clamps it to [minSessionTimeout,
//   maxSessionTimeout] (by default 2 and 20 ticks: 4 s to 40 s), and ttlSeconds reports what it
//   granted.
// - A session only learns of its expiry when it reaches a server again. A lease whose session
//   has had no server for longer than its timeout is therefore reported lost at that point and
//   abandoned: it never reconnects, so the server expires it (and deletes its keys) if it has
//   not already. Its owner grants a new one.
import { LossSignal } from '../common/loss.js';
import { LeaseLostError, StoreUnavailableError, type Lease } from '../store.js';
import { exists } from './requests.js';
import { SessionExpiredError, type ZkSession } from './session.js';

export interface LeaseContext {
  readonly requestTimeoutMs: number;
  /** The store forgets this lease (revoked or lost). */
  release(lease: ZkLease): void;
}

export class ZkLease implements Lease {
  readonly id: string;
  readonly ttlSeconds: number;
  private readonly loss = new LossSignal();
  private readonly watchdog: NodeJS.Timeout;

  constructor(readonly session: ZkSession, private readonly ctx: LeaseContext) {
    this.id = session.id;
    this.ttlSeconds = session.timeoutMs / 1000;
    session.onExpired(() => this.markLost(new LeaseLostError(this.id, 'its ZooKeeper session expired')));
    // unref: a lease alone must not keep the process alive.
    this.watchdog = setInterval(() => this.checkReachable(), Math.max(100, session.timeoutMs / 4)).unref();
  }

  /** Lost or revoked: writes under it must fail. */
  get ended(): Error | undefined {
    if (this.loss.lost) return this.loss.lost;
    return this.loss.revoked ? new LeaseLostError(this.id, 'revoked') : undefined;
  }

  async keepAliveOnce(): Promise<void> {
    const ended = this.ended;
    if (ended) throw ended;
    try {
      // Any request refreshes the session.
      await exists(this.session, '/', this.ctx.requestTimeoutMs);
    } catch (err) {
      if (err instanceof SessionExpiredError) {
        this.markLost(new LeaseLostError(this.id, 'its ZooKeeper session expired'));
        throw this.loss.lost ?? err;
      }
      throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(`ZooKeeper session ${this.id}`, err);
    }
  }

  async revoke(): Promise<void> {
    if (this.loss.ended) return;
    this.loss.markRevoked();
    this.stop();
    // Closing the session deletes its ephemeral nodes before the close is answered.
    await this.session.close(this.ctx.requestTimeoutMs);
  }

  onLost(listener: (err: Error) => void): () => void {
    return this.loss.subscribe(listener);
  }

  markLost(err: Error): void {
    if (!this.loss.markLost(err)) return;
    this.stop();
    void this.session.close();
  }

  /** Store closing: drop the connection but not the session, which expires as after a crash. */
  detach(): void {
    clearInterval(this.watchdog);
    this.ctx.release(this);
    this.session.abandon();
  }

  private stop(): void {
    clearInterval(this.watchdog);
    this.ctx.release(this);
  }

  private checkReachable(): void {
    const silent = this.session.disconnectedFor();
    if (silent > this.session.timeoutMs) {
      this.markLost(new LeaseLostError(this.id, `no ZooKeeper server answered for ${Math.round(silent / 1000)} s, longer than its ttl`));
    }
  }
}
