// Opening a cluster store from its URL: the one list of backends (STYLE §2).
//
// A server store that cannot be reached at start-up is retried with backoff, each failure said
// on the log (stderr by default), and given up after a bounded time with an error that names
// the URL: weftd neither hangs silently nor dies at the first refused connection while its
// store is still starting.
//
// Each backend's module is imported when its scheme is opened, never up front: a weftd uses one
// store, and the client libraries stay resident once loaded (etcd3 with gRPC and protobuf alone
// costs a bare Node ~23 MB of RSS, node-zookeeper-client ~9 MB).
import { setTimeout as sleep } from 'node:timers/promises';
import { WeftError } from '../errors.js';
import { StoreUnavailableError, type Store } from '../store/store.js';
import { parseStoreUrl, type StoreUrl } from '../store/url.js';

/** Each opener gets how long its first contact may take. */
type Opener<U> = (url: U, connectTimeoutMs: number) => Promise<Store>;

const backends: { readonly [S in StoreUrl['scheme']]: Opener<Extract<StoreUrl, { scheme: S }>> | undefined } = {
  sqlite: async (url) => (await import('../store/sqlite/index.js')).openSqliteStore(url.path),
  etcd: async (url, connectTimeoutMs) =>
    (await import('../store/etcd/index.js')).openEtcdStore({ endpoints: url.endpoints, prefix: url.prefix, connectTimeoutMs }),
  zk: async (url, connectTimeoutMs) =>
    (await import('../store/zookeeper/index.js')).openZooKeeperStore({ servers: url.endpoints, prefix: url.prefix, connectTimeoutMs }),
  consul: async (url, connectTimeoutMs) =>
    (await import('../store/consul/index.js')).openConsulStore({ agent: url.endpoints[0]!, prefix: url.prefix, connectTimeoutMs }),
};

export interface OpenClusterStoreOptions {
  /** Where retries are reported (weftd passes its logger). Default: a line on stderr. */
  readonly log?: (message: string) => void;
  /** Stop retrying an unreachable store after this long. Default 60 s. */
  readonly giveUpAfterMs?: number;
}

/** The store at a URL could not be reached within the start-up bound. */
export class ClusterStoreUnreachableError extends WeftError {
  constructor(url: string, waitedMs: number, cause: unknown) {
    super('unavailable', `cluster store ${url} unreachable; gave up after ${Math.round(waitedMs / 1000)} s` +
      `${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause });
    this.name = 'ClusterStoreUnreachableError';
  }
}

const DEFAULT_GIVE_UP_MS = 60_000;

export async function openClusterStore(raw: string, opts: OpenClusterStoreOptions = {}): Promise<Store> {
  const url = parseStoreUrl(raw); // a bad URL fails here, at once
  const open = backends[url.scheme] as Opener<StoreUrl> | undefined;
  if (!open) throw new Error(`cluster store ${raw}: the ${url.scheme} backend is not available in this build`);
  const log = opts.log ?? ((message: string) => void process.stderr.write(`weftd: ${message}\n`));
  const giveUpAfter = opts.giveUpAfterMs ?? DEFAULT_GIVE_UP_MS;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const left = giveUpAfter - (Date.now() - started);
    try {
      // Short attempts, so that a wait is reported while it lasts.
      const store = await open(url, Math.max(250, Math.min(2_000, left / 2)));
      if (attempt > 1) log(`cluster store ${raw} reached after ${attempt} attempts`);
      return store;
    } catch (err) {
      // The embedded store has no server to wait for: a file that cannot be opened stays so.
      if (!(err instanceof StoreUnavailableError) || url.scheme === 'sqlite') throw err;
      const waited = Date.now() - started;
      const delay = Math.min(5_000, 250 * 2 ** (attempt - 1), Math.max(0, giveUpAfter - waited));
      if (delay <= 0 || waited >= giveUpAfter) throw new ClusterStoreUnreachableError(raw, waited, err);
      log(`cluster store ${raw} is unreachable (${err.message}); retrying in ${(delay / 1000).toFixed(1)} s, ` +
        `giving up after ${Math.round(giveUpAfter / 1000)} s`);
      await sleep(delay);
    }
  }
}
