// Consul's HTTP API (v1), the few endpoints this backend needs, with node's fetch. Requests
// and answers only: what they mean for the Store contract is consul-store.ts's business.
//
// Written to Consul's documentation (KV, Transaction, Session, blocking queries); it has not
// been run against a real Consul agent (there is none on the machines this was built on).
import { StoreUnavailableError } from '../store.js';

/** A KV entry as Consul returns it (GET /v1/kv, and inside transaction results). */
export interface ConsulEntry {
  readonly Key: string;
  /** base64; null for an empty value (and in the results of write verbs). */
  readonly Value: string | null;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly LockIndex?: number;
  readonly Flags?: number;
  /** The session holding the key (acquired with ?acquire= or the "lock" verb). */
  readonly Session?: string;
}

/** One transaction operation (PUT /v1/txn). */
export interface TxnKvOp {
  readonly Verb: 'set' | 'cas' | 'lock' | 'get' | 'check-index' | 'check-not-exists' | 'delete' | 'delete-cas';
  readonly Key: string;
  readonly Value?: string;
  readonly Index?: number;
  readonly Session?: string;
}

export type TxnResult =
  | { readonly ok: true; readonly results: readonly ConsulEntry[]; readonly index: number }
  | { readonly ok: false; readonly errors: readonly { readonly OpIndex: number; readonly What: string }[] };

export interface Answer<T> {
  readonly body: T;
  /** X-Consul-Index: the raft index the answer reflects (for a recurse query, of its prefix). */
  readonly index: number;
}

export interface ConsulHttpOptions {
  /** http://host:port */
  readonly baseUrl: string;
  readonly description: string;
  readonly requestTimeoutMs: number;
  /** Injected for tests; default: the global fetch. */
  readonly fetch?: typeof fetch;
}

export class ConsulHttp {
  private readonly fetch: typeof fetch;
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly opts: ConsulHttpOptions) {
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  get description(): string {
    return this.opts.description;
  }

  /** GET /v1/kv/<key>: the entry, or undefined (404). */
  async get(key: string): Promise<Answer<ConsulEntry | undefined>> {
    const res = await this.request('GET', `/v1/kv/${encodeKey(key)}`, undefined, [404]);
    if (res.status === 404) return { body: undefined, index: indexOf(res) };
    const entries = (await res.json()) as ConsulEntry[];
    return { body: entries[0], index: indexOf(res) };
  }

  /**
   * GET /v1/kv/<prefix>?recurse: every entry under the prefix. With `block`, a blocking query
   * that answers once the prefix's index passes `block.index` (or after `block.waitSeconds`).
   */
  async list(prefix: string, block?: { readonly index: number; readonly waitSeconds: number }): Promise<Answer<ConsulEntry[]>> {
    const query = new URLSearchParams({ recurse: 'true' });
    if (block) {
      query.set('index', String(block.index));
      query.set('wait', `${block.waitSeconds}s`);
    }
    const timeout = block ? (block.waitSeconds + 15) * 1000 : undefined; // Consul adds up to wait/16 of jitter
    const res = await this.request('GET', `/v1/kv/${encodeKey(prefix)}?${query}`, undefined, [404], timeout);
    const body = res.status === 404 ? [] : ((await res.json()) as ConsulEntry[]);
    return { body, index: indexOf(res) };
  }

  /** PUT /v1/txn: all operations or none. 409 is a refusal (a check failed), not an error. */
  async txn(ops: readonly TxnKvOp[]): Promise<TxnResult> {
    const res = await this.request('PUT', '/v1/txn', ops.map((KV) => ({ KV })), [409]);
    const body = (await res.json()) as { Results: { KV: ConsulEntry }[] | null; Errors: { OpIndex: number; What: string }[] | null };
    if (res.status === 409 || (body.Errors && body.Errors.length > 0)) return { ok: false, errors: body.Errors ?? [] };
    return { ok: true, results: (body.Results ?? []).map((r) => r.KV), index: indexOf(res) };
  }

  /** PUT /v1/session/create: a session whose keys are deleted when it ends. */
  async createSession(ttlSeconds: number, name: string): Promise<string> {
    const res = await this.request('PUT', '/v1/session/create', {
      Name: name,
      TTL: `${ttlSeconds}s`,
      Behavior: 'delete',
      // No lock-delay: after a lost lease, its owner must be able to take the keys again at once.
      LockDelay: '0s',
    });
    return ((await res.json()) as { ID: string }).ID;
  }

  /** PUT /v1/session/renew/<id>: false if the session is gone (404). */
  async renewSession(id: string): Promise<boolean> {
    const res = await this.request('PUT', `/v1/session/renew/${encodeURIComponent(id)}`, undefined, [404]);
    if (res.status === 404) return false;
    const sessions = (await res.json()) as unknown[] | null;
    return Array.isArray(sessions) && sessions.length > 0;
  }

  /** GET /v1/session/info/<id>: does the session still exist? */
  async sessionExists(id: string): Promise<boolean> {
    const res = await this.request('GET', `/v1/session/info/${encodeURIComponent(id)}`);
    const sessions = (await res.json()) as unknown[] | null;
    return Array.isArray(sessions) && sessions.length > 0;
  }

  /** PUT /v1/session/destroy/<id>: with Behavior=delete, its keys go too. */
  async destroySession(id: string): Promise<void> {
    await this.request('PUT', `/v1/session/destroy/${encodeURIComponent(id)}`);
  }

  /** Abort every request in flight (blocking queries included). */
  abortAll(): void {
    for (const controller of this.inFlight) controller.abort();
  }

  private async request(method: string, path: string, body?: unknown, accepted: number[] = [], timeoutMs = this.opts.requestTimeoutMs): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    this.inFlight.add(controller);
    let res: Response;
    try {
      res = await this.fetch(`${this.opts.baseUrl}${path}`, {
        method,
        signal: controller.signal,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    } catch (err) {
      throw new StoreUnavailableError(this.opts.description, err);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
    if (res.ok || accepted.includes(res.status)) return res;
    const text = await res.text().catch(() => '');
    const error = new Error(`${method} ${path}: ${res.status} ${text.trim()}`);
    // 5xx (no leader, agent trouble) and 429 (rate limited) pass; anything else is our mistake.
    if (res.status >= 500 || res.status === 429) throw new StoreUnavailableError(this.opts.description, error);
    throw error;
  }
}

/** Keys go into the URL path: escape each segment, keep the slashes. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function indexOf(res: Response): number {
  const index = Number(res.headers.get('x-consul-index') ?? '0');
  return Number.isFinite(index) && index > 0 ? index : 0;
}

export const encodeValue = (value: string): string => Buffer.from(value, 'utf8').toString('base64');
export const decodeValue = (value: string | null): string => (value === null ? '' : Buffer.from(value, 'base64').toString('utf8'));
