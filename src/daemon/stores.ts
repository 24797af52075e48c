// Opening a cluster store from its URL: the one list of backends (STYLE §2).
import { parseStoreUrl, type StoreUrl } from '../store/url.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/store.js';

const backends: { readonly [S in StoreUrl['scheme']]: ((url: Extract<StoreUrl, { scheme: S }>) => Promise<Store>) | undefined } = {
  sqlite: (url) => openSqliteStore(url.path),
  etcd: undefined,
  zk: undefined,
  consul: undefined,
};

export async function openClusterStore(raw: string): Promise<Store> {
  const url = parseStoreUrl(raw);
  const open = backends[url.scheme] as ((u: StoreUrl) => Promise<Store>) | undefined;
  if (!open) throw new Error(`cluster store ${raw}: the ${url.scheme} backend is not available in this build`);
  return open(url);
}
