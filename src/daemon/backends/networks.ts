// The API's NetworksBackend over the cluster's NetworkService, with `network connect` and
// `disconnect` acting on this host's containers live (data plane and DNS) and persistently (the
// container's own network config, so a restart joins the same networks).
import { matchesPruneFilters } from '../../api/filters.js';
import type { NetworksBackend } from '../../api/backend.js';
import { forbidden, isWeftError } from '../../errors.js';
import type { ContainerNetworking } from '../../cluster/container-networking.js';
import type { EndpointService } from '../../cluster/endpoints.js';
import type { NetworkService } from '../../cluster/networks.js';
import type { NetworkRecord } from '../../cluster/types.js';
import type { ContainerManager } from '../../runtime/containers.js';
import type { ContainerRecord } from '../../runtime/types.js';

export interface NetworksBackendDeps {
  readonly networks: NetworkService;
  readonly endpoints: EndpointService;
  readonly containers: ContainerManager;
  readonly containerNetworking: ContainerNetworking;
}

/** The key of `net` in a container's network config: its NetworkMode or an EndpointsConfig entry. */
function configKey(c: ContainerRecord, net: NetworkRecord): string | undefined {
  const matches = (k: string) => k === net.name || k === net.id || (k === 'default' && net.name === 'bridge');
  if (matches(c.networkMode)) return c.networkMode;
  return Object.keys(c.endpointsConfig).find(matches);
}

const specOf = (c: ContainerRecord) => ({
  id: c.id,
  name: c.name,
  hostname: c.config.hostname,
  domainname: c.config.domainname,
  networkMode: c.networkMode,
  endpointsConfig: c.endpointsConfig,
});

export function networksBackend(deps: NetworksBackendDeps): NetworksBackend {
  const { networks, containers, containerNetworking } = deps;
  return {
    create: async (req) => ({ id: (await networks.create(req)).id }),
    list: async () => (await networks.list()).map((n) => ({ ...n, containers: {} })),
    get: async (ref) => networks.view(await networks.get(ref)),
    remove: async (ref) => {
      await networks.remove(ref);
    },
    prune: async (f) => networks.prune((n) => matchesPruneFilters(n, f)),

    connect: async (ref, containerRef, req) => {
      const net = await networks.get(ref);
      if (req.ipv6Address) throw forbidden('IPv6 addresses are not supported on Weft networks');
      const settings = { aliases: req.aliases, ...(req.ipv4Address ? { ipv4Address: req.ipv4Address } : {}) };
      await containers.updateNetworks(containerRef, async (c, running) => {
        if (configKey(c, net)) throw forbidden(`endpoint with name ${c.name} already exists in network ${net.name}`);
        if (c.networkMode === 'host' || c.networkMode === 'none') {
          throw forbidden(`container cannot be connected to multiple networks with one of the networks in private (none) mode`);
        }
        if (running) await containerNetworking.connect(specOf(c), net, settings);
        return { networkMode: c.networkMode, endpointsConfig: { ...c.endpointsConfig, [net.name]: settings } };
      });
    },

    disconnect: async (ref, containerRef, force) => {
      const net = await networks.get(ref);
      try {
        await containers.updateNetworks(containerRef, async (c, running) => {
          const key = configKey(c, net);
          if (!key) throw forbidden(`container ${c.id} is not connected to network ${net.name}`);
          if (running) await containerNetworking.disconnect(c.id, net);
          const endpointsConfig = { ...c.endpointsConfig };
          delete endpointsConfig[key];
          // Leaving the primary network hands that role to the next one, or to none.
          const networkMode = key === c.networkMode ? (Object.keys(endpointsConfig).find((k) => k !== 'default') ?? 'none') : c.networkMode;
          return { networkMode, endpointsConfig };
        });
      } catch (err) {
        // -f also clears the endpoint of a container this host does not know: one whose
        // container or whole host is gone, which Docker classic left stuck forever.
        if (!(force && isWeftError(err, 'not-found'))) throw err;
        if (!(await deps.endpoints.forceRemove(net, containerRef))) throw err;
      }
    },
  } satisfies NetworksBackend;
}
