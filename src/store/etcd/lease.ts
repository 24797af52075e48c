// An etcd lease held by this process. etcd keeps the lease and deletes its keys when it
// expires; this object refreshes it (a keep-alive stream per refresh, about every ttl/3) and
// reports the loss when etcd answers that the lease is gone (TTL 0, or "lease not found").
//
// Unreachable is not lost: while no member answers, refreshes are retried at the next tick.
// If etcd restarts with its data, it restores the lease with a fresh TTL and the next refresh
// simply succeeds; if the lease expired meanwhile, the first refresh that gets through says so.
import { castGrpcError, type LeaseClient } from 'etcd3';
import { LossSignal } from '../common/loss.js';
import { retrying } from '../common/retry.js';
import { LeaseLostError, StoreUnavailableError, type Lease } from '../store.js';
import { isLeaseNotFound, isTransient } from './client.js';

export interface LeaseRpc {
  readonly client: LeaseClient;
  readonly description: string;
  /** How long one refresh or revoke keeps retrying a transient failure. */
  readonly deadlineMs: number;
  readonly callTimeoutMs: number;
  /** The store forgets this lease (revoked or lost). */
  release(lease: EtcdLease): void;
}

export class EtcdLease implements Lease {
  private readonly loss = new LossSignal();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly ttlSeconds: number,
    private readonly rpc: LeaseRpc,
    keepAlive: boolean,
  ) {
    if (keepAlive) {
      // unref: a lease alone must not keep the process alive.
      this.timer = setInterval(() => void this.tick(), (ttlSeconds * 1000) / 3).unref();
    }
  }

  /** Lost or revoked: writes under it must fail. */
  get ended(): Error | undefined {
    if (this.loss.lost) return this.loss.lost;
    return this.loss.revoked ? new LeaseLostError(this.id, 'revoked') : undefined;
  }

  async keepAliveOnce(): Promise<void> {
    const ended = this.ended;
    if (ended) throw ended;
    await retrying(() => this.refresh(), { deadlineMs: this.rpc.deadlineMs, retryable: isTransient }).catch((err: unknown) => {
      throw isTransient(err) ? new StoreUnavailableError(this.rpc.description, err) : err;
    });
  }

  async revoke(): Promise<void> {
    if (this.loss.ended) return;
    this.loss.markRevoked();
    this.stop();
    this.rpc.release(this);
    try {
      await retrying(
        () => this.rpc.client.leaseRevoke({ ID: this.id }, { deadline: Date.now() + this.rpc.callTimeoutMs }),
        { deadlineMs: this.rpc.deadlineMs, retryable: isTransient },
      );
    } catch (err) {
      if (isLeaseNotFound(err)) return; // expired already: its keys are gone either way
      throw isTransient(err) ? new StoreUnavailableError(this.rpc.description, err) : err;
    }
  }

  onLost(listener: (err: Error) => void): () => void {
    return this.loss.subscribe(listener);
  }

  /** etcd said the lease is gone (a refresh, or a write under it). */
  markLost(err: Error): void {
    if (!this.loss.markLost(err)) return;
    this.stop();
    this.rpc.release(this);
  }

  /** Stop refreshing (store closing): the lease then lives until it expires, as after a crash. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    try {
      await this.refresh();
    } catch {
      // Transient: the next tick tries again. A loss has been marked by refresh().
    }
  }

  /** One keep-alive round trip on its own stream. */
  private async refresh(): Promise<void> {
    const stream = await this.rpc.client.leaseKeepAlive();
    let ttl: string;
    try {
      ttl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          stream.cancel();
          reject(new StoreUnavailableError(this.rpc.description, new Error('keep-alive timed out')));
        }, this.rpc.callTimeoutMs);
        stream.on('data', (res) => {
          clearTimeout(timer);
          resolve(res.TTL);
        });
        stream.on('error', (err) => {
          clearTimeout(timer);
          reject(castGrpcError(err));
        });
        stream.write({ ID: this.id });
      });
    } finally {
      stream.end();
    }
    if (Number(ttl) <= 0) {
      const err = new LeaseLostError(this.id, 'expired');
      this.markLost(err);
      throw err;
    }
  }
}
