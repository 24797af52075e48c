// /_ping, /version and /info.

import type { SystemBackend } from '../backend.js';
import { sendJson } from '../http.js';
import { route, type RequestContext, type Route } from '../router.js';
import { infoToDocker, versionToDocker } from '../views/system.js';

/** moby's pingHandler headers; the CLI reads Api-Version (set for every response) from these. */
function ping({ req, res }: RequestContext): void {
  res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Docker-Experimental', 'false');
  res.setHeader('Swarm', 'inactive');
  res.setHeader('Builder-Version', '1');
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  if (req.method === 'HEAD') {
    res.setHeader('Content-Length', '0');
    res.writeHead(200).end();
    return;
  }
  res.setHeader('Content-Length', '2');
  res.writeHead(200).end('OK');
}

export function systemRoutes(system: SystemBackend): Route[] {
  return [
    route('GET', '/_ping', ping),
    route('HEAD', '/_ping', ping),
    route('GET', '/version', async ({ res }) => sendJson(res, 200, versionToDocker(await system.version()))),
    route('GET', '/info', async ({ res }) => sendJson(res, 200, infoToDocker(await system.info(), new Date()))),
  ];
}
