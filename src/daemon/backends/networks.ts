// The API's NetworksBackend over the cluster's NetworkService.
import type { NetworksBackend } from '../../api/backend.js';
import { matchesPruneFilters } from '../../api/filters.js';
import { notImplemented } from '../../errors.js';
import type { NetworkService } from '../../cluster/networks.js';

export function networksBackend(networks: NetworkService): NetworksBackend {
  return {
    create: async (req) => ({ id: (await networks.create(req)).id }),
    list: async () => (await networks.list()).map((n) => ({ ...n, containers: {} })),
    get: async (ref) => networks.view(await networks.get(ref)),
    remove: async (ref) => {
      await networks.remove(ref);
    },
    prune: async (f) => networks.prune((n) => matchesPruneFilters(n, f)),
    connect: async () => {
      throw notImplemented('network connect is not supported yet');
    },
    disconnect: async () => {
      throw notImplemented('network disconnect is not supported yet');
    },
  } satisfies NetworksBackend;
}
