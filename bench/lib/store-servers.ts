// etcd and ZooKeeper for the convergence figures, as in the walkthrough: a key-value store on a
// lab host of its own (`weft store start --machine kv <kind>`, through the lab API), listening
// on that host's LAN address, where every lab host reaches it and nothing outside the lab can.
//
// kv's own weftd is stopped once its store runs: an idle weftd polls its SQLite files every few
// ms, and on two cores that is background load the measured hosts would share for nothing.
import { listMachines, startStoreServer, stopMachine, stopStoreServers } from '../../src/lab/index.js';
import type { BenchLab } from './lab.js';

export const STORE_MACHINE = 'kv';

export interface StoreServer {
  readonly kind: 'etcd' | 'zookeeper';
  /** The --cluster-store URL for weftd (with a key prefix of the benchmark's own). */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startStoreInLab(lab: BenchLab, kind: 'etcd' | 'zookeeper'): Promise<StoreServer> {
  const have = (await listMachines(lab.cfg)).some((m) => m.name === STORE_MACHINE);
  if (!have) {
    await lab.createMachine(STORE_MACHINE);
    await stopMachine(lab.cfg, STORE_MACHINE);
  }
  const url = await startStoreServer(lab.cfg, STORE_MACHINE, kind);
  return {
    kind,
    url: `${url}/bench`,
    stop: () => stopStoreServers(lab.cfg, STORE_MACHINE, kind),
  };
}
