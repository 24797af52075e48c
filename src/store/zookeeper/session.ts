// One ZooKeeper session (one node-zookeeper-client Client) as promises.
//
// - Every answer comes with the zxid of its reply. For a write that is the write's own zxid;
//   for a read it is the last zxid the server had applied when it read: the revision the read
//   saw. (node-zookeeper-client keeps the last reply's zxid on its connection manager and calls
//   back synchronously, so reading it inside the callback is exact.)
// - A request is only sent on a live connection: while disconnected it waits (up to its
//   timeout) instead of sitting in the library's queue, where it would go out whenever the
//   connection returned, long after its caller had given up.
// - Expiry is final: the session's ephemeral nodes and watches are gone, and every request fails.
// - node-zookeeper-client has no read timeout: a connection accepted by a server that never
//   answers (one shutting down or still starting) would hang it for good. A health check drops
//   a connection that has not completed its handshake in time, or (with pings on) that has
//   heard nothing for two thirds of the session timeout, as the Java client does; the library
//   then connects again.
import zookeeper, { type Client, type Exception } from 'node-zookeeper-client';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreUnavailableError } from '../store.js';

export class SessionExpiredError extends Error {
  /** `sent`: the request had gone out before the expiry was noticed, so it may have been applied. */
  constructor(id: string, readonly sent = false) {
    super(`ZooKeeper session ${id} expired`);
    this.name = 'SessionExpiredError';
  }
}

/** A ZooKeeper error answer (NO_NODE, NODE_EXISTS, BAD_VERSION, …), with its reply's zxid. */
export class ZkError extends Error {
  constructor(readonly code: number, name: string, readonly zxid = 0) {
    super(`ZooKeeper: ${name}`);
    this.name = 'ZkError';
  }
}

export const Code = {
  CONNECTION_LOSS: -4,
  OPERATION_TIMEOUT: -7,
  NO_NODE: -101,
  BAD_VERSION: -103,
  NODE_EXISTS: -110,
  SESSION_EXPIRED: -112,
} as const;

/** Worth repeating on a (re)connected session: the connection broke, or we gave up waiting. */
export const isTransient = (err: unknown): boolean =>
  err instanceof StoreUnavailableError ||
  (err instanceof ZkError && (err.code === Code.CONNECTION_LOSS || err.code === Code.OPERATION_TIMEOUT));

export interface Reply<T> {
  readonly value: T;
  readonly zxid: number;
}

export interface SessionOptions {
  /** "h1:2181,h2:2181" */
  readonly servers: string;
  readonly sessionTimeoutMs: number;
  readonly description: string;
  /**
   * Let the client ping while idle (the default). Without pings the session lives only as long
   * as requests keep arriving: a lease that is kept alive by hand.
   */
  readonly pings?: boolean;
}

export const zxidOf = (buf: Buffer): number => Number(buf.readBigUInt64BE(0));

/** The library's ConnectionManager, as far as this module looks into it. */
interface ConnectionManager {
  state: number;
  readonly zxid: Buffer;
  readonly socket?: {
    destroy(): void;
    setTimeout(ms: number): void;
    on(event: 'data', listener: () => void): void;
  };
}

/** ConnectionManager.STATES.CONNECTING */
const CONNECTING = 1;

export class ZkSession {
  private expiredFlag = false;
  private closing = false;
  private disconnectedAt: number | undefined;
  private readonly expiryListeners = new Set<() => void>();
  private readonly stateWaiters = new Set<() => void>();
  private readonly health: NodeJS.Timeout;
  private connectingSince: number | undefined;
  private heardAt = Date.now();

  private constructor(readonly client: Client, private readonly opts: SessionOptions) {
    this.health = setInterval(() => this.checkHealth(), 250).unref();
    client.on('state', (state: { getCode(): number }) => {
      const code = state.getCode();
      if (code === zookeeper.State.SYNC_CONNECTED.getCode()) {
        this.disconnectedAt = undefined;
        this.heardAt = Date.now();
        this.manager().socket?.on('data', () => (this.heardAt = Date.now()));
        // After the library has armed its ping timer for this connection, which it does right
        // after announcing the state.
        if (opts.pings === false) setImmediate(() => this.silence());
      } else if (code === zookeeper.State.DISCONNECTED.getCode()) {
        this.disconnectedAt ??= Date.now();
      } else if (code === zookeeper.State.EXPIRED.getCode()) {
        this.markExpired();
      }
      for (const wake of [...this.stateWaiters]) wake();
    });
  }

  /** Connect a new session; rejects with StoreUnavailableError if no server answers in time. */
  static async open(opts: SessionOptions, timeoutMs: number): Promise<ZkSession> {
    // retries: 0 — the library would otherwise re-send requests on its own.
    const client = zookeeper.createClient(opts.servers, { sessionTimeout: opts.sessionTimeoutMs, spinDelay: 200, retries: 0 });
    const session = new ZkSession(client, opts);
    client.connect();
    try {
      await session.untilConnected(Date.now() + timeoutMs);
    } catch (err) {
      session.abandon();
      throw err;
    }
    return session;
  }

  get id(): string {
    return this.client.getSessionId().toString('hex');
  }

  /** The timeout the server granted (it clamps what we ask for to its min/max). */
  get timeoutMs(): number {
    return this.client.getSessionTimeout();
  }

  get expired(): boolean {
    return this.expiredFlag;
  }

  get connected(): boolean {
    return this.client.getState().getCode() === zookeeper.State.SYNC_CONNECTED.getCode();
  }

  /** How long no server has answered, in ms (0 while connected). */
  disconnectedFor(now = Date.now()): number {
    return this.disconnectedAt === undefined ? 0 : now - this.disconnectedAt;
  }

  onExpired(listener: () => void): () => void {
    if (this.expiredFlag) {
      queueMicrotask(listener);
      return () => {};
    }
    this.expiryListeners.add(listener);
    return () => this.expiryListeners.delete(listener);
  }

  /**
   * Send one request once the session is connected; `send` calls the client and hands its
   * callback `done(err, value)`. Rejects with ZkError for error answers, SessionExpiredError,
   * or StoreUnavailableError when `timeoutMs` passes (a write may then still be applied).
   */
  async request<T>(send: (client: Client, done: (err: Exception | null, value: T) => void) => void, timeoutMs: number): Promise<Reply<T>> {
    const deadline = Date.now() + timeoutMs;
    await this.untilConnected(deadline);
    return new Promise<Reply<T>>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unlisten();
        fn();
      };
      const timer = setTimeout(() => finish(() => reject(this.unavailable('no answer in time'))), Math.max(1, deadline - Date.now()));
      // Requests queued when the session expires are never answered by the library.
      const unlisten = this.onExpired(() => finish(() => reject(new SessionExpiredError(this.id, true))));
      send(this.client, (err, value) => {
        const zxid = zxidOf(this.manager().zxid);
        finish(() => {
          if (!err) resolve({ value, zxid });
          else if (err.getCode() === Code.SESSION_EXPIRED) reject(new SessionExpiredError(this.id, true));
          else reject(new ZkError(err.getCode(), err.getName(), zxid));
        });
      });
    });
  }

  /** Close the session: the server deletes its ephemeral nodes. Waits (briefly) for that to happen. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.expiredFlag || !this.connected) {
      // Nobody to tell: the session (if still alive) expires on its own.
      this.abandon();
      return;
    }
    const deadline = Date.now() + timeoutMs;
    this.client.close();
    while (this.connected && Date.now() < deadline) await sleep(10);
    this.abandon();
  }

  private async untilConnected(deadline: number): Promise<void> {
    while (!this.connected) {
      if (this.expiredFlag) throw new SessionExpiredError(this.id);
      if (this.closing) throw this.unavailable('the session was closed');
      const left = deadline - Date.now();
      if (left <= 0) throw this.unavailable('no server answered');
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.stateWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 250));
        this.stateWaiters.add(wake);
      });
    }
  }

  private unavailable(why: string): StoreUnavailableError {
    return new StoreUnavailableError(this.opts.description, new Error(why));
  }

  private markExpired(): void {
    if (this.expiredFlag) return;
    this.expiredFlag = true;
    const listeners = [...this.expiryListeners];
    this.expiryListeners.clear();
    for (const l of listeners) queueMicrotask(l);
    this.abandon();
  }

  /** Stop the client from reconnecting, without telling the server anything. */
  abandon(): void {
    clearInterval(this.health);
    const cm = this.manager();
    cm.state = -1; // CLOSING: the library then neither reconnects nor sends anything but a close
    cm.socket?.destroy();
  }

  /** Turn the client's idle pings off for this connection (see SessionOptions.pings). */
  private silence(): void {
    this.manager().socket?.setTimeout(0);
  }

  private checkHealth(): void {
    const cm = this.manager();
    const now = Date.now();
    const timeout = this.client.getSessionTimeout();
    if (cm.state === CONNECTING) {
      this.connectingSince ??= now;
      if (now - this.connectingSince > Math.max(1000, Math.min(5000, timeout / 3))) {
        this.connectingSince = undefined;
        cm.socket?.destroy(); // the library moves on to the next server
      }
      return;
    }
    this.connectingSince = undefined;
    if (this.opts.pings !== false && this.connected && now - this.heardAt > (timeout * 2) / 3) {
      this.heardAt = now;
      cm.socket?.destroy();
    }
  }

  /** node-zookeeper-client's connection manager: its state and socket are not public API. */
  private manager(): ConnectionManager {
    return (this.client as unknown as { connectionManager: ConnectionManager }).connectionManager;
  }
}
