// A lease is a Consul session with a TTL and Behavior=delete: keys written under it are
// acquired by the session ("lock" in a transaction), and Consul deletes them when the session
// is destroyed or invalidated. Consul's TTLs run from 10 s to 24 h (shorter ones are raised to
// 10 s), and Consul may take up to twice the TTL to invalidate a session that is not renewed.
import { LossSignal } from '../common/loss.js';
import { LeaseLostError, StoreUnavailableError, type Lease } from '../store.js';
import type { ConsulHttp } from './http.js';

export const MIN_TTL_SECONDS = 10;

export class ConsulLease implements Lease {
  private readonly loss = new LossSignal();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly ttlSeconds: number,
    private readonly http: ConsulHttp,
    private readonly release: (lease: ConsulLease) => void,
    keepAlive: boolean,
  ) {
    if (keepAlive) this.timer = setInterval(() => void this.tick(), (ttlSeconds * 1000) / 3).unref();
  }

  get ended(): Error | undefined {
    if (this.loss.lost) return this.loss.lost;
    return this.loss.revoked ? new LeaseLostError(this.id, 'revoked') : undefined;
  }

  async keepAliveOnce(): Promise<void> {
    const ended = this.ended;
    if (ended) throw ended;
    if (await this.http.renewSession(this.id)) return;
    const err = new LeaseLostError(this.id, 'its Consul session is gone');
    this.markLost(err);
    throw err;
  }

  async revoke(): Promise<void> {
    if (this.loss.ended) return;
    this.loss.markRevoked();
    this.stop();
    await this.http.destroySession(this.id);
  }

  onLost(listener: (err: Error) => void): () => void {
    return this.loss.subscribe(listener);
  }

  markLost(err: Error): void {
    if (!this.loss.markLost(err)) return;
    this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.release(this);
  }

  private async tick(): Promise<void> {
    try {
      await this.keepAliveOnce();
    } catch (err) {
      // Unreachable: try at the next tick. Lost: marked by keepAliveOnce.
      if (!(err instanceof StoreUnavailableError) && !(err instanceof LeaseLostError)) throw err;
    }
  }
}
