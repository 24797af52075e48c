// weftd's composition root: the ONE place where stores, IPAM, drivers, the DNS resolver, the
// runtime and the API are built and wired together (STYLE §2). Nothing registers itself.
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type http from 'node:http';
import type { Logger } from 'pino';
import { createApiServer } from '../api/server.js';
import { isWeftError } from '../errors.js';
import { ContainerNetworking } from '../cluster/container-networking.js';
import { EndpointService } from '../cluster/endpoints.js';
import { Membership } from '../cluster/membership.js';
import { NameTable } from '../cluster/name-table.js';
import { isGatewayBridge, NetworkService } from '../cluster/networks.js';
import { Scope } from '../cluster/scope.js';
import type { NetworkDriverName } from '../cluster/types.js';
import {
  BridgeDataplane,
  addNetns,
  loopbackUp,
  deleteNetns,
  ExecRunner,
  netnsPath,
  OverlayDataplane,
} from '../dataplane/index.js';
import { createNetnsSocketBinder } from '../dataplane/netns-socket.js';
import { BridgeDriver } from '../drivers/bridge/bridge-driver.js';
import type { Driver } from '../drivers/driver.js';
import { OverlayDriver } from '../drivers/overlay/overlay-driver.js';
import { Resolver } from '../dns/resolver.js';
import { ContainerManager } from '../runtime/containers.js';
import { ImageStore } from '../runtime/images.js';
import { GLOBAL_DEFAULT_POOLS, Ipam, LOCAL_DEFAULT_POOLS } from '../ipam/ipam.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/store.js';
import { containersBackend, stopRunningContainers } from './backends/containers.js';
import { imagesBackend } from './backends/images.js';
import { networksBackend } from './backends/networks.js';
import { systemBackend } from './backends/system.js';
import type { DaemonConfig } from './config.js';
import { resolveAdvertise } from './advertise.js';
import { openClusterStore } from './stores.js';

/** How long each container gets to stop when weftd shuts down (the lab gives weftd 5 s). */
const SHUTDOWN_STOP_TIMEOUT_S = 3;

export interface Daemon {
  readonly server: http.Server;
  stop(): Promise<void>;
}

export async function startDaemon(cfg: DaemonConfig, log: Logger): Promise<Daemon> {
  const closers: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch((err: Error) => log.warn({ err: err.message }, 'while stopping'));
  };
  try {
    await mkdir(cfg.dataRoot, { recursive: true });
    await mkdir(cfg.execRoot, { recursive: true });
    await mkdir(path.dirname(cfg.socketPath), { recursive: true });

    const vtep = resolveAdvertise(cfg.clusterAdvertise.hostOrIface);
    const upstreams = cfg.dns ?? (await hostResolvers());

    const clusterStore = await openClusterStore(cfg.clusterStore, { log: (m) => log.warn(m) });
    closers.push(() => clusterStore.close());
    const localStore: Store = await openSqliteStore(path.join(cfg.dataRoot, 'local.db'));
    closers.push(() => localStore.close());

    const membership = new Membership(
      clusterStore,
      cfg.leaseTtlSeconds,
      { name: cfg.hostname, advertise: vtep, port: cfg.clusterAdvertise.port, started: new Date().toISOString() },
      log,
    );
    await membership.start();
    closers.push(() => membership.stop());
    // Local records (bridge endpoints) are only this host's, so a long local lease will do.
    const localLease = await localStore.grantLease(Math.max(60, cfg.leaseTtlSeconds));

    const onWatchError = (err: Error) => log.error({ err: err.message }, 'store watch failed');
    const global = new Scope('global', clusterStore, new Ipam(clusterStore, { defaultPools: GLOBAL_DEFAULT_POOLS }), () => membership.lease(), onWatchError);
    const local = new Scope('local', localStore, new Ipam(localStore, { defaultPools: LOCAL_DEFAULT_POOLS }), () => localLease, onWatchError);
    await global.start();
    closers.push(() => global.close());
    await local.start();
    closers.push(() => local.close());

    const networks = new NetworkService({ global, local });
    await networks.ensurePredefined();

    const runner = new ExecRunner();
    const drivers = new Map<NetworkDriverName, Driver>([
      ['overlay', new OverlayDriver(new OverlayDataplane(runner), { netnsPrefix: cfg.netnsPrefix, vtepIp: vtep })],
      ['bridge', new BridgeDriver(new BridgeDataplane(runner))],
    ]);

    const names = new NameTable();
    const endpoints = new EndpointService(
      networks,
      drivers,
      { name: cfg.hostname, vtep },
      {
        endpointUp: (ep, net) => {
          if (isGatewayBridge(net)) return;
          names.setEndpoint({ id: ep.id, networkId: ep.networkId, networkName: net.name, containerId: ep.containerId, name: ep.name, aliases: ep.aliases, ip: ep.ipv4 });
        },
        endpointDown: (ep) => names.removeEndpoint(ep.id),
        attached: (ep, net, took) =>
          log.info({
            container: ep.containerId.slice(0, 12), network: net.name, driver: net.driver,
            attachMs: Math.round(took.attachMs * 100) / 100, publishMs: Math.round(took.publishMs * 100) / 100,
          }, 'endpoint attached'),
      },
      (err, what) => log.error({ err: err.message }, what),
    );
    endpoints.start();
    // A lost cluster lease took this host's endpoints with it: publish them again.
    membership.onRenewed(() => void endpoints.republish(global));
    closers.push(async () => endpoints.stop());

    const resolver = new Resolver({ lookup: names, binder: createNetnsSocketBinder({ logger: log }), upstreams, logger: log });
    closers.push(() => resolver.close());

    const containerNetworking = new ContainerNetworking(
      networks,
      endpoints,
      {
        create: async (name) => (await addNetns(runner, name), netnsPath(name)),
        loopbackUp: (name) => loopbackUp(runner, name),
        remove: (name) => deleteNetns(runner, name),
        path: netnsPath,
      },
      resolver,
      { netnsPrefix: cfg.netnsPrefix, upstreams, searchDomains: [] },
    );

    const images = new ImageStore(cfg.dataRoot);
    await images.init();
    const containers = new ContainerManager({ dataRoot: cfg.dataRoot, execRoot: cfg.execRoot, images, networking: containerNetworking, logger: log });
    // Containers that were running when weftd last stopped are marked exited and their endpoints
    // released here, so init needs the cluster services above.
    await containers.init();
    const counts = async () => {
      const all = containers.list({ all: true });
      const running = all.filter((c) => c.state.status === 'running').length;
      return { running, paused: 0, stopped: all.length - running, images: images.list().length };
    };

    const server = createApiServer(
      {
        networks: networksBackend({ networks, endpoints, containers, containerNetworking }),
        system: systemBackend({ cfg, vtep, counts }),
        containers: containersBackend({
          manager: containers,
          attachments: (id) => containerNetworking.attachments(id),
          network: (ref) => networks.get(ref).catch((err: unknown) => {
            if (isWeftError(err, 'not-found')) return undefined;
            throw err;
          }),
          logger: log,
        }),
        images: imagesBackend(images),
      },
      { logger: log },
    );
    await rm(cfg.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.socketPath, () => resolve());
    });
    await chmod(cfg.socketPath, 0o660);
    closers.push(() => new Promise((r) => server.close(() => r(undefined))));
    // Runs before the server closes (closers run in reverse): stopping the containers ends the
    // waits, attaches and log follows that would otherwise hold connections open, and takes
    // their endpoints off the cluster while the store is still there.
    closers.push(() => stopRunningContainers(containers, SHUTDOWN_STOP_TIMEOUT_S, log));
    log.info({ socket: cfg.socketPath, store: clusterStore.description, advertise: vtep, host: cfg.hostname }, 'weftd ready');
    return { server, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Without --dns, containers use the host's resolvers (dockerd's behaviour). A loopback stub such
 * as systemd-resolved cannot be reached from a container, so its upstream list is used instead.
 */
async function hostResolvers(): Promise<string[]> {
  const read = async (file: string) =>
    (await readFile(file, 'utf8').catch(() => ''))
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((ip): ip is string => ip !== undefined);
  const servers = await read('/etc/resolv.conf');
  const usable = servers.filter((ip) => !ip.startsWith('127.'));
  if (usable.length > 0 || servers.length === 0) return usable;
  return (await read('/run/systemd/resolve/resolv.conf')).filter((ip) => !ip.startsWith('127.'));
}

