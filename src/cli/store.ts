// `weft store …`: a cluster store server (etcd or ZooKeeper) on a lab machine, as the
// walkthrough's key-value store host:
//   weft machine create kv
//   weft machine create --engine-opt cluster-store=$(weft store start --machine kv etcd) host1
// `start` prints only the URL to pass as cluster-store on stdout; progress goes to stderr.
import { Command, Option } from 'commander';
import {
  STORE_KINDS,
  checkStoreKind,
  labConfig,
  listStoreServers,
  startStoreServer,
  stopStoreServers,
  type LabConfig,
} from '../lab/index.js';

const labOption = () => new Option('--lab <name>', 'lab to work in (default: weft)').env('WEFT_LAB');
const machineOption = () => new Option('--machine <name>', 'the lab machine to run it in').makeOptionMandatory();

/** The lab named on the subcommand or its parent (`weft store --lab x start …`, `… start --lab x`). */
function labOf(cmd: Command): LabConfig {
  let name: string | undefined;
  for (let c: Command | null = cmd; c && name === undefined; c = c.parent) name = c.opts<{ lab?: string }>().lab;
  return labConfig({ ...(name === undefined ? {} : { name }), log: (m) => process.stderr.write(`${m}\n`) });
}

/** A failure is one line on stderr and exit code 1, not a stack trace. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  };
}

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
