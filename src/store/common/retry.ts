// Waiting out a store that is briefly unreachable: full-jitter backoff under a deadline.
import { setTimeout as sleep } from 'node:timers/promises';

/** Full jitter, doubling from `baseMs` up to `capMs`: retriers spread out instead of colliding. */
export function backoffMs(attempt: number, baseMs = 50, capMs = 1000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

export interface RetryPolicy {
  /** Give up (rethrow the last error) once this much time has passed. */
  readonly deadlineMs: number;
  /** Only these errors are retried; any other is rethrown at once. */
  readonly retryable: (err: unknown) => boolean;
  readonly baseMs?: number;
  readonly capMs?: number;
}

export async function retrying<T>(op: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const deadline = Date.now() + policy.deadlineMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (!policy.retryable(err)) throw err;
      const wait = backoffMs(attempt, policy.baseMs, policy.capMs);
      if (Date.now() + wait >= deadline) throw err;
      await sleep(wait);
    }
  }
}
