// An address space with the store that holds it. Docker keeps two: overlay networks live in the
// cluster store (scope "global", seen by every host), bridge/host/none in a per-host store
// (scope "local"). The same services run over both; only the store differs.
import type { Ipam } from '../ipam/ipam.js';
import type { Lease, Store } from '../store/store.js';
import { keys } from './keys.js';
import { StoreMirror } from './mirror.js';
import type { EndpointRecord, NetworkRecord, NetworkScope } from './types.js';

export class Scope {
  readonly networks: StoreMirror<NetworkRecord>;
  readonly endpoints: StoreMirror<EndpointRecord>;

  constructor(
    readonly name: NetworkScope,
    readonly store: Store,
    readonly ipam: Ipam,
    /** The lease this host holds its records of this scope under. */
    readonly lease: () => Lease,
    onWatchError: (err: Error) => void,
  ) {
    const decode = <T>(kv: { value: string }) => JSON.parse(kv.value) as T;
    this.networks = new StoreMirror<NetworkRecord>(store, keys.networks, decode, onWatchError);
    this.endpoints = new StoreMirror<EndpointRecord>(store, keys.endpoints, decode, onWatchError);
  }

  async start(): Promise<void> {
    await this.networks.start();
    await this.endpoints.start();
  }

  async close(): Promise<void> {
    await this.endpoints.close();
    await this.networks.close();
  }
}
