// /networks routes: validate the request, call the backend, render moby's JSON. Nothing else.

import { notFound } from '../../errors.js';
import type { NetworksBackend } from '../backend.js';
import { filterNetworks, parseFilters, parsePruneFilters } from '../filters.js';
import { parseGoBool, readJson, sendEmpty, sendJson } from '../http.js';
import { route, type Handler, type Route } from '../router.js';
import { parseNetworkConnect, parseNetworkCreate, parseNetworkDisconnect } from '../schemas/network.js';
import { networkToDocker } from '../views/network.js';

export function networkRoutes(networks: NetworksBackend): Route[] {
  const list: Handler = async ({ res, query }) => {
    const args = parseFilters(query.get('filters'));
    const all = await networks.list();
    sendJson(res, 200, filterNetworks(all, args).map((n) => networkToDocker(n, false)));
  };

  return [
    route('GET', '/networks', list),
    route('GET', '/networks/', list),
    route('POST', '/networks/create', async ({ req, res }) => {
      const created = await networks.create(parseNetworkCreate(await readJson(req)));
      sendJson(res, 201, { Id: created.id, Warning: created.warning ?? '' });
    }),
    route('POST', '/networks/prune', async ({ res, query }) => {
      const deleted = await networks.prune(parsePruneFilters(parseFilters(query.get('filters'))));
      sendJson(res, 200, { NetworksDeleted: [...deleted] });
    }),
    route('GET', '/networks/{id}', async ({ res, params, query }) => {
      const verbose = query.get('verbose');
      if (verbose) parseGoBool('verbose', verbose); // Weft has no swarm services to add.
      const scope = query.get('scope');
      const n = await networks.get(params.id!);
      if (scope && n.scope !== scope) throw notFound(`network ${params.id} not found`);
      sendJson(res, 200, networkToDocker(n, true));
    }),
    route('DELETE', '/networks/{id}', async ({ res, params }) => {
      await networks.remove(params.id!);
      sendEmpty(res, 204);
    }),
    route('POST', '/networks/{id}/connect', async ({ req, res, params }) => {
      const { container, endpoint } = parseNetworkConnect(await readJson(req));
      await networks.connect(params.id!, container, endpoint);
      sendEmpty(res, 200);
    }),
    route('POST', '/networks/{id}/disconnect', async ({ req, res, params }) => {
      const { container, force } = parseNetworkDisconnect(await readJson(req));
      await networks.disconnect(params.id!, container, force);
      sendEmpty(res, 200);
    }),
  ];
}
