// The API's SystemBackend: facts about this daemon and its host.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { SystemBackend } from '../../api/backend.js';
import type { DaemonConfig } from '../config.js';

export const WEFT_VERSION = (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const STARTED = new Date().toISOString();

export function systemBackend(deps: { cfg: DaemonConfig; vtep: string; counts?: () => Promise<{ running: number; stopped: number; paused: number; images: number }> }): SystemBackend {
  const { cfg } = deps;
  return {
    info: async () => {
      const c = (await deps.counts?.()) ?? { running: 0, stopped: 0, paused: 0, images: 0 };
      return {
        id: createHash('sha256').update(`${cfg.hostname}:${cfg.dataRoot}`).digest('hex').slice(0, 36),
        name: os.hostname(),
        containers: { running: c.running, paused: c.paused, stopped: c.stopped },
        images: c.images,
        serverVersion: WEFT_VERSION,
        kernelVersion: os.release(),
        operatingSystem: 'Weft (Linux)',
        ncpu: os.cpus().length,
        memTotal: os.totalmem(),
        networkDrivers: ['bridge', 'host', 'null', 'overlay'],
        rootDir: cfg.dataRoot,
        clusterStore: cfg.clusterStore,
        clusterAdvertise: `${deps.vtep}:${cfg.clusterAdvertise.port}`,
      };
    },
    version: async () => ({ version: WEFT_VERSION, gitCommit: 'weft', buildTime: STARTED, kernelVersion: os.release() }),
  };
}
