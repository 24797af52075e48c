// `weft store …`: a cluster store server (etcd or ZooKeeper) on a lab machine, as the
// walkthrough's key-value store host:
//   weft machine create kv
//   weft machine create --engine-opt cluster-store=$(weft store start --machine kv etcd) host1
// `start` prints only the URL to pass as cluster-store on stdout; progress goes to stderr.
import { Command, Option } from 'commander';
import { action, labOf, labOption } from './lab-options.js';
import {
  STORE_KINDS,
  checkStoreKind,
  listStoreServers,
  startStoreServer,
  stopStoreServers,
} from '../lab/index.js';

const machineOption = () => new Option('--machine <name>', 'the lab machine to run it in').makeOptionMandatory();

export function storeCommand(): Command {
  const store = new Command('store')
    .description(`Run a cluster store server (${STORE_KINDS.join(' or ')}) on a lab machine`)
    .addOption(labOption());

  store
    .command('start')
    .description('Start the store on the machine\'s LAN address; prints the URL to pass as cluster-store')
    .argument('<kind>', STORE_KINDS.join(' | '))
    .addOption(machineOption())
    .addOption(labOption())
    .action(action(async (kind: string, opts: { machine: string }, cmd: Command) => {
      const url = await startStoreServer(labOf(cmd), opts.machine, checkStoreKind(kind));
      process.stdout.write(`${url}\n`);
    }));

  store
    .command('stop')
    .description('Stop the machine\'s store server (both kinds if none is named)')
    .argument('[kind]', STORE_KINDS.join(' | '))
    .addOption(machineOption())
    .addOption(labOption())
    .action(action(async (kind: string | undefined, opts: { machine: string }, cmd: Command) => {
      await stopStoreServers(labOf(cmd), opts.machine, kind === undefined ? undefined : checkStoreKind(kind));
    }));

  store
    .command('ls')
    .description('List the lab\'s store servers')
    .addOption(labOption())
    .action(action((_opts: unknown, cmd: Command) => {
      const rows = [['MACHINE', 'KIND', 'URL', 'PID', 'STATE'], ...listStoreServers(labOf(cmd)).map((s) =>
        [s.machine, s.kind, s.url, s.running ? String(s.process.pid) : '-', s.running ? 'running' : 'stopped'])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')}\n`);
    }));

  return store;
}
