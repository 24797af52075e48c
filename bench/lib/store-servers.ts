// etcd and ZooKeeper for the convergence figures, run inside the lab: in the LAN namespace, on
// the LAN's own address (198.18.0.1), where every lab host reaches them and nothing outside the
// lab can. Started and stopped by PID; their data lives in a temporary directory removed on stop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LAN_GATEWAY } from '../../src/lab/index.js';
import { probeScript } from '../context.js';
import type { BenchLab } from './lab.js';
import { Background, run } from './proc.js';

export interface StoreServer {
  readonly kind: 'etcd' | 'zookeeper';
  /** The --cluster-store URL for weftd. */
  readonly url: string;
  stop(): Promise<void>;
}

async function waitReady(lab: BenchLab, server: Background, what: string, probeArgs: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.running) throw new Error(`${what} exited while starting: ${server.stderr.trim().slice(-1500)}`);
    const r = await run(lab.inLanNet([process.execPath, probeScript(), 'tcp', ...probeArgs, '--deadline-ms', '1500']), { timeoutMs: 10_000 });
    if (r.stdout.includes('"ok":true')) return;
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms: ${server.stderr.trim().slice(-1500)}`);
}

export async function startEtcdInLab(lab: BenchLab): Promise<StoreServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-etcd-'));
  const client = `http://${LAN_GATEWAY}:2379`;
  const server = new Background(lab.inLanNet([
    'etcd', '--name', 'bench', '--data-dir', path.join(dir, 'data'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
    '--initial-cluster', 'bench=http://127.0.0.1:2380', '--initial-cluster-state', 'new',
    '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
  ]));
  const stop = async () => {
    await server.stop(5000);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(lab, server, 'etcd', ['--host', LAN_GATEWAY, '--port', '2379', '--send', 'GET /health HTTP/1.0\r\n\r\n', '--expect', '"health":"true"'], 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { kind: 'etcd', url: `etcd://${LAN_GATEWAY}:2379/bench`, stop };
}

export async function startZooKeeperInLab(lab: BenchLab): Promise<StoreServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-zk-'));
  const cfg = path.join(dir, 'zoo.cfg');
  fs.writeFileSync(cfg, [
    'tickTime=250',
    `dataDir=${path.join(dir, 'data')}`,
    'clientPort=2181',
    `clientPortAddress=${LAN_GATEWAY}`,
    'admin.enableServer=false',
    'minSessionTimeout=1000',
    'maxSessionTimeout=60000',
    '4lw.commands.whitelist=ruok',
    '',
  ].join('\n'));
  const jars = fs.readdirSync('/usr/share/java').filter((f) => f.endsWith('.jar')).map((f) => path.join('/usr/share/java', f));
  const server = new Background(lab.inLanNet([
    'java', '-Xms32m', '-Xmx256m', '-XX:+UseSerialGC', '-Dzookeeper.log.dir=' + dir,
    '-cp', ['/etc/zookeeper/conf', ...jars].join(':'), 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg,
  ]));
  const stop = async () => {
    await server.stop(5000);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(lab, server, 'ZooKeeper', ['--host', LAN_GATEWAY, '--port', '2181', '--send', 'ruok', '--expect', 'imok'], 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { kind: 'zookeeper', url: `zk://${LAN_GATEWAY}:2181/bench`, stop };
}
