// A fake Consul agent on loopback, for the Consul backend's unit tests: the KV, transaction
// and session endpoints the backend uses, with blocking queries, written from Consul's HTTP API
// documentation. It records every request, so tests can check how requests are built, and it
// can be told to answer with an error. It is a fake: passing against it says the backend reads
// and writes the documented API as intended, not that it works with a real Consul.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

interface Entry {
  Value: string | null;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session?: string;
}

type TxnOp = { KV: { Verb: string; Key: string; Value?: string; Index?: number; Session?: string } };

export class FakeConsul {
  readonly requests: Recorded[] = [];
  readonly kv = new Map<string, Entry>();
  readonly sessions = new Map<string, { ttl: string; behavior: string; lockDelay: string }>();
  index = 10;
  /** Answer the next request with this status (e.g. 500), once. */
  failNext: number | undefined;
  private readonly server: http.Server;
  private readonly waiting = new Set<() => void>();
  private sessionSeq = 0;

  private constructor() {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  static async start(): Promise<FakeConsul> {
    const fake = new FakeConsul();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Drop a session as Consul does when its TTL runs out (Behavior=delete: its keys go). */
  invalidate(id: string): void {
    this.sessions.delete(id);
    for (const [key, e] of this.kv) if (e.Session === id) this.kv.delete(key);
    this.bump();
  }

  /** A change made "by another client". */
  put(key: string, value: string): void {
    const old = this.kv.get(key);
    this.bump();
    this.kv.set(key, { Value: Buffer.from(value).toString('base64'), CreateIndex: old?.CreateIndex ?? this.index, ModifyIndex: this.index, LockIndex: 0 });
  }

  remove(key: string): void {
    this.kv.delete(key);
    this.bump();
  }

  close(): Promise<void> {
    for (const wake of this.waiting) wake();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private bump(): void {
    this.index++;
    for (const wake of [...this.waiting]) wake();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, body });
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-consul-index': String(this.index) });
      res.end(JSON.stringify(payload));
    };
    if (this.failNext !== undefined) {
      const status = this.failNext;
      this.failNext = undefined;
      res.writeHead(status).end('No cluster leader');
      return;
    }
    if (url.pathname.startsWith('/v1/kv/') && req.method === 'GET') {
      const key = decodeURIComponent(url.pathname.slice('/v1/kv/'.length));
      const index = Number(url.searchParams.get('index') ?? '0');
      if (index > 0 && this.index <= index) {
        const waitMs = Number((url.searchParams.get('wait') ?? '5s').replace('s', '')) * 1000;
        await new Promise<void>((resolve) => {
          const wake = () => {
            this.waiting.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, waitMs);
          this.waiting.add(wake);
        });
      }
      const matches = [...this.kv].filter(([k]) => (url.searchParams.has('recurse') ? k.startsWith(key) : k === key))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([Key, e]) => ({ Key, Flags: 0, ...e }));
      if (matches.length === 0) reply(404, null);
      else reply(200, matches);
      return;
    }
    if (url.pathname === '/v1/txn' && req.method === 'PUT') {
      reply(...this.txn(body as TxnOp[]));
      return;
    }
    if (url.pathname === '/v1/session/create' && req.method === 'PUT') {
      const b = body as { TTL: string; Behavior: string; LockDelay: string };
      const id = `00000000-0000-0000-0000-${String(++this.sessionSeq).padStart(12, '0')}`;
      this.sessions.set(id, { ttl: b.TTL, behavior: b.Behavior, lockDelay: b.LockDelay });
      reply(200, { ID: id });
      return;
    }
    const session = /^\/v1\/session\/(renew|destroy|info)\/(.+)$/.exec(url.pathname);
    if (session) {
      const [, verb, id = ''] = session;
      const known = this.sessions.get(id);
      if (verb === 'renew') reply(known ? 200 : 404, known ? [{ ID: id, TTL: known.ttl }] : 'session not found');
      else if (verb === 'info') reply(200, known ? [{ ID: id }] : null);
      else {
        this.invalidate(id);
        reply(200, true);
      }
      return;
    }
    reply(404, 'no such endpoint in the fake');
  }

  /** All or nothing, on a copy; errors as Consul reports them (409 with OpIndex and What). */
  private txn(ops: TxnOp[]): [number, unknown] {
    const next = new Map(this.kv);
    const index = this.index + 1;
    const results: { KV: unknown }[] = [];
    for (const [i, { KV: op }] of ops.entries()) {
      const current = next.get(op.Key);
      const fail = (what: string): [number, unknown] => [409, { Results: null, Errors: [{ OpIndex: i, What: what }] }];
      switch (op.Verb) {
        case 'check-not-exists':
          if (current) return fail(`key "${op.Key}" exists`);
          break;
        case 'check-index':
          if (!current || current.ModifyIndex !== op.Index) return fail(`current modify index ${current?.ModifyIndex} != ${op.Index}`);
          break;
        case 'get':
          if (!current) return fail(`key "${op.Key}" doesn't exist`);
          results.push({ KV: { Key: op.Key, ...current } });
          break;
        case 'delete':
          next.delete(op.Key);
          break;
        case 'delete-cas':
          if (!current || current.ModifyIndex !== op.Index) return fail('failed to delete key, index is stale');
          next.delete(op.Key);
          break;
        case 'set':
        case 'cas':
        case 'lock': {
          // cas: Index 0 writes only a key that does not exist, any other only at that ModifyIndex.
          if (op.Verb === 'cas' && ((op.Index ?? 0) === 0 ? current !== undefined : current?.ModifyIndex !== op.Index)) {
            return fail(`failed to set key "${op.Key}", index is stale`);
          }
          if (op.Verb === 'lock') {
            if (!op.Session || !this.sessions.has(op.Session)) return fail(`invalid session "${op.Session}"`);
            if (current?.Session && current.Session !== op.Session) return fail(`failed to lock key "${op.Key}", lock is already held`);
          }
          const entry: Entry = {
            Value: op.Value ?? null, CreateIndex: current?.CreateIndex ?? index, ModifyIndex: index, LockIndex: current?.LockIndex ?? 0,
            ...(op.Verb === 'lock' ? { Session: op.Session } : current?.Session ? { Session: current.Session } : {}),
          };
          next.set(op.Key, entry);
          results.push({ KV: { Key: op.Key, ...entry, Value: null } });
          break;
        }
        default:
          return fail(`verb ${op.Verb} is not in the fake`);
      }
    }
    this.kv.clear();
    for (const [k, v] of next) this.kv.set(k, v);
    this.index = index - 1;
    this.bump();
    return [200, { Results: results, Errors: null }];
  }
}
