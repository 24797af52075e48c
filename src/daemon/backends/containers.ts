// The API's ContainersBackend over the runtime's ContainerManager, with the cluster's view of a
// container's endpoints (NetworkSettings) and the exec instances kept in an ExecRegistry.
import type {
  ContainerNetworkView, ContainersBackend, ContainerView, StdioSession,
} from '../../api/backend.js';
import { conflict, isWeftError } from '../../errors.js';
import type { EndpointRecord, NetworkRecord } from '../../cluster/types.js';
import type { ContainerManager } from '../../runtime/containers.js';
import type { ContainerRecord, RuntimeLogger } from '../../runtime/types.js';
import { ExecRegistry } from './exec-registry.js';

export interface ContainersBackendDeps {
  readonly manager: ContainerManager;
  /** A container's endpoints on this host (ContainerNetworking.attachments). */
  readonly attachments: (containerId: string) => Promise<readonly { network: NetworkRecord; endpoint: EndpointRecord }[]>;
  /** A network by name or id; undefined when there is none. */
  readonly network: (ref: string) => Promise<NetworkRecord | undefined>;
  readonly logger: RuntimeLogger;
}

const PREDEFINED = new Set(['bridge', 'host', 'none']);

/** NetworkMode first, then the other EndpointsConfig entries (as ContainerNetworking joins them). */
function configuredNetworks(c: ContainerRecord): string[] {
  const mode = c.networkMode === 'default' || c.networkMode === '' ? 'bridge' : c.networkMode;
  return [mode, ...Object.keys(c.endpointsConfig).filter((k) => k !== mode && k !== 'default' && k !== c.networkMode)];
}

function findRecord(manager: ContainerManager, ref: string): ContainerRecord | undefined {
  try {
    return manager.get(ref);
  } catch {
    return undefined;
  }
}

export function containersBackend(deps: ContainersBackendDeps): ContainersBackend {
  const { manager } = deps;
  const execs = new ExecRegistry((id, opts) => manager.exec(id, opts));
  manager.events.on('container', (e) => {
    if (e.action === 'destroy') execs.dropContainer(e.id);
  });

  const view = async (c: ContainerRecord): Promise<ContainerView> => {
    const attached = c.state.status === 'running' ? await deps.attachments(c.id) : [];
    const networks: ContainerNetworkView[] = [];
    const seen = new Set<string>();
    const refs = configuredNetworks(c);
    for (const ref of refs) {
      const net = await deps.network(ref);
      const found = net ? attached.find((a) => a.network.id === net.id) : undefined;
      const name = net?.name ?? ref;
      seen.add(net?.id ?? ref);
      networks.push({
        name,
        networkId: net?.id ?? '',
        gateway: net?.ipam.config[0]?.gateway ?? '',
        predefined: net?.predefined ?? PREDEFINED.has(name),
        request: c.endpointsConfig[ref] ?? (net ? c.endpointsConfig[net.name] ?? c.endpointsConfig[net.id] : undefined)
          ?? (ref === refs[0] ? c.endpointsConfig.default : undefined) ?? { aliases: [] },
        ...(found ? { endpoint: found.endpoint } : {}),
      });
    }
    // Endpoints joined some other way (network connect) are shown too.
    for (const a of attached) {
      if (seen.has(a.network.id)) continue;
      networks.push({
        name: a.network.name,
        networkId: a.network.id,
        gateway: a.network.ipam.config[0]?.gateway ?? '',
        predefined: a.network.predefined ?? false,
        request: { aliases: a.endpoint.aliases },
        endpoint: a.endpoint,
      });
    }
    return { record: c, networks, execIds: execs.runningIn(c.id) };
  };

  const start = async (ref: string) => {
    try {
      await manager.start(ref);
    } catch (err) {
      // Docker removes an AutoRemove container whose start failed; `docker run --rm` waits for
      // that removal (wait?condition=removed) before it reports the start error.
      if (!isWeftError(err, 'not-modified')) {
        const c = findRecord(manager, ref);
        if (c?.autoRemove && c.state.status !== 'running') {
          await manager.remove(c.id, { force: true }).catch((rmErr: unknown) =>
            deps.logger.warn({ err: rmErr, container: c.id }, 'removing an auto-remove container after its failed start'));
        }
      }
      throw err;
    }
  };

  return {
    create: async (config) => ({ id: (await manager.create(config)).id, warnings: [] }),
    list: async ({ all }) => Promise.all(manager.list({ all }).map(view)),
    inspect: async (ref) => view(manager.get(ref)),
    start,
    stop: (ref, opts) => manager.stop(ref, opts),
    restart: async (ref, opts) => {
      try {
        await manager.stop(ref, opts);
      } catch (err) {
        if (!isWeftError(err, 'not-modified')) throw err;
      }
      await start(ref);
    },
    // As moby does, a SIGKILL returns once the container has stopped, so an `rm` right after it
    // does not find it still running.
    kill: async (ref, signal) => {
      if (!/^(SIG)?KILL$|^9$/i.test(signal || 'KILL')) return manager.kill(ref, signal);
      const abort = new AbortController();
      const exited = manager.wait(ref, 'next-exit', { signal: abort.signal });
      try {
        manager.kill(ref, signal);
      } catch (err) {
        abort.abort();
        await exited.catch(() => {});
        throw err;
      }
      await exited;
    },
    remove: (ref, opts) => manager.remove(ref, opts),
    wait: async (ref, condition, signal) => {
      const result = manager.wait(ref, condition, { signal });
      result.catch(() => {}); // an abandoned wait rejects when its client goes away
      return { result };
    },
    logs: async (ref, opts) => {
      const c = manager.get(ref);
      return { tty: c.config.tty, entries: manager.logs(c.id, opts) };
    },
    attach: async (ref, opts) => {
      const c = manager.get(ref);
      const session: StdioSession = manager.attach(c.id, opts);
      return { tty: c.config.tty, session };
    },
    resize: (ref, height, width) => manager.resize(ref, { rows: height, cols: width }),
    createExec: async (ref, req) => {
      const c = manager.get(ref);
      if (c.state.status !== 'running') throw conflict(`container ${c.id} is not running`);
      return { id: execs.create(c.id, req) };
    },
    startExec: (id, { detach }) => execs.start(id, detach),
    inspectExec: async (id) => execs.view(id),
    resizeExec: (id, height, width) => execs.resize(id, { rows: height, cols: width }),
  } satisfies ContainersBackend;
}

/** At weftd shutdown: stop every running container (their endpoints leave the cluster cleanly). */
export async function stopRunningContainers(manager: ContainerManager, timeoutSeconds: number, logger: RuntimeLogger): Promise<void> {
  await Promise.all(
    manager.list({ all: false }).map((c) =>
      manager.stop(c.id, { timeoutSeconds }).catch((err: unknown) => {
        if (!isWeftError(err, 'not-modified') && !isWeftError(err, 'not-found')) logger.warn({ err, container: c.id }, 'stopping a container at shutdown');
      }),
    ),
  );
}
