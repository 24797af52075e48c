// The "lost" half of a Lease: listeners told once, late subscribers told at once, and our own
// revoke never counted as a loss. Each backend's lease decides *when* a lease is lost.
export class LossSignal {
  private readonly listeners = new Set<(err: Error) => void>();
  private lostWith: Error | undefined;
  private revokedByUs = false;

  get lost(): Error | undefined {
    return this.lostWith;
  }

  get revoked(): boolean {
    return this.revokedByUs;
  }

  /** Lost or revoked: either way, nothing may be written under the lease any more. */
  get ended(): boolean {
    return this.lostWith !== undefined || this.revokedByUs;
  }

  subscribe(listener: (err: Error) => void): () => void {
    const lost = this.lostWith;
    if (lost) {
      queueMicrotask(() => listener(lost));
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  markRevoked(): void {
    this.revokedByUs = true;
    this.listeners.clear();
  }

  /** Returns true if this call is the one that found the loss. */
  markLost(err: Error): boolean {
    if (this.ended) return false;
    this.lostWith = err;
    const listeners = [...this.listeners];
    this.listeners.clear();
    // One microtask each: a throwing listener neither stops the others nor the caller.
    for (const listener of listeners) queueMicrotask(() => listener(err));
    return true;
  }
}
