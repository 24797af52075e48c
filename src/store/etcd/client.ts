// The etcd3 client as this backend uses it: raw v3 RPCs over etcd3's connection pool, with a
// deadline on every call and our own retries (etcd3's built-in global retry would re-send a
// write whose first attempt may have committed; writes.ts retries safely instead).
import {
  Etcd3, EtcdLeaseInvalidError, GRPCResourceExhastedError, isRecoverableError, type IOptions,
} from 'etcd3';
import { StoreUnavailableError } from '../store.js';
import type { HostPort } from '../url.js';

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type HostPolicy = ReturnType<NonNullable<FaultHandling['host']>>;
type GlobalPolicy = NonNullable<FaultHandling['global']>;

export interface ClientSettings {
  /** Deadline of one unary RPC. */
  readonly callTimeoutMs: number;
  /** A member that failed this many calls in a row is skipped for `skipMs`. */
  readonly failuresBeforeSkip: number;
  readonly skipMs: number;
}

export function hostString({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function connect(endpoints: readonly HostPort[], settings: ClientSettings): Etcd3 {
  return new Etcd3({
    hosts: endpoints.map((e) => `http://${hostString(e)}`),
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + settings.callTimeoutMs }),
    grpcOptions: {
      // Notice a member that vanished without closing its connections (etcd allows pings every 5 s).
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    },
    faultHandling: {
      global: passThrough(),
      host: () => skipWhenFailing(settings.failuresBeforeSkip, settings.skipMs),
    },
  });
}

/** No retry at the pool level: every caller here decides whether a retry is safe. */
function passThrough(): GlobalPolicy {
  const policy = { execute: <T>(fn: (ctx: unknown) => T | Promise<T>) => Promise.resolve().then(() => fn({})) };
  return policy as unknown as GlobalPolicy;
}

/** Thrown instead of calling a member that keeps failing: the pool then tries the next one. */
export class MemberSkippedError extends Error {
  constructor() {
    super('etcd member skipped after repeated failures');
    this.name = 'MemberSkippedError';
  }
}

/**
 * A small circuit breaker per member: after `threshold` transient failures in a row the member
 * is skipped (the pool moves on to the next) for `skipMs`, then tried again.
 */
function skipWhenFailing(threshold: number, skipMs: number): HostPolicy {
  let failures = 0;
  let skipUntil = 0;
  const policy = {
    async execute<T>(fn: (ctx: unknown) => T | Promise<T>): Promise<T> {
      if (Date.now() < skipUntil) throw new MemberSkippedError();
      try {
        const result = await fn({});
        failures = 0;
        return result;
      } catch (err) {
        if (isTransient(err) && ++failures >= threshold) {
          failures = 0;
          skipUntil = Date.now() + skipMs;
        }
        throw err;
      }
    },
  };
  return policy as unknown as HostPolicy;
}

/** The call may succeed if repeated (possibly on another member): network, deadline, overload. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof MemberSkippedError || err instanceof GRPCResourceExhastedError) return true;
  if (err instanceof StoreUnavailableError) return true;
  if (isRecoverableError(err)) return true;
  // The pool's own complaint when every member was skipped or none could be reached.
  return /Connection pool has no hosts|No connection established|ECONNREFUSED|ECONNRESET/.test(err.message);
}

export const isLeaseNotFound = (err: unknown): boolean => err instanceof EtcdLeaseInvalidError;
