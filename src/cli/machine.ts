// `weft machine …` (docker-machine's verbs for lab hosts on this box) and `weft lab rm`.
// Results go to stdout and nothing else does, so `docker $(weft machine config host1) …` and
// `$(weft machine ip host2)` work; progress and errors go to stderr.
import { Command } from 'commander';
import { action, labOf, labOption } from './lab-options.js';
import {
  createMachine,
  execInMachine,
  inspectMachine,
  listMachines,
  machineConfig,
  machineIp,
  removeLab,
  removeMachines,
  startMachine,
  stopMachine,
  type MachineInfo,
} from '../lab/index.js';


const out = (line: string): void => void process.stdout.write(`${line}\n`);

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('')).join('\n');
}

const lsRow = (m: MachineInfo) => [m.name, m.ip, m.store, m.pid === undefined ? '-' : String(m.pid), m.state];

const collect = (value: string, previous: string[]) => [...previous, value];

export function machineCommand(): Command {
  const machine = new Command('machine')
    .description('Manage lab hosts on this machine (docker-machine for the lab)')
    .addOption(labOption())
    // exec's command keeps its own options: `weft machine exec h1 ping -c1 h2`.
    .enablePositionalOptions();

  machine
    .command('create')
    .description('Create a lab host: a namespace on the lab LAN running its own weftd')
    .argument('<name>', 'machine name (lowercase letters and digits)')
    .option('--engine-opt <key=value>', "weftd flag --KEY VALUE (repeatable), e.g. cluster-store=URL, dns=IP", collect, [])
    .action(
      action(async (name: string, opts: { engineOpt: string[] }, cmd: Command) => {
        const m = await createMachine(labOf(cmd), name, { engineOpts: opts.engineOpt });
        process.stderr.write(`Run: docker $(weft machine config ${m.name}) …\n`);
      }),
    );

  machine
    .command('ls')
    .description('List lab hosts')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const machines = await listMachines(labOf(cmd));
        out(table([['NAME', 'IP', 'STORE', 'PID', 'STATE'], ...machines.map(lsRow)]));
      }),
    );

  machine
    .command('ip')
    .description("Print a lab host's LAN address")
    .argument('<name>')
    .action(action((name: string, _opts: unknown, cmd: Command) => out(machineIp(labOf(cmd), name))));

  machine
    .command('config')
    .description('Print the docker flags that reach a lab host: docker $(weft machine config NAME) …')
    .argument('<name>')
    .action(action((name: string, _opts: unknown, cmd: Command) => out(machineConfig(labOf(cmd), name))));

  machine
    .command('inspect')
    .description('Print a lab host as JSON')
    .argument('<name>')
    .action(
      action(async (name: string, _opts: unknown, cmd: Command) =>
        out(JSON.stringify(await inspectMachine(labOf(cmd), name), null, 2)),
      ),
    );

  machine
    .command('exec')
    .description("Run a command in a lab host's network and UTS namespaces; exits with its code")
    .argument('<name>')
    .argument('<command...>')
    .passThroughOptions()
    .allowUnknownOption()
    .action(
      action(async (name: string, argv: string[], _opts: unknown, cmd: Command) => {
        const command = argv[0] === '--' ? argv.slice(1) : argv;
        process.exitCode = await execInMachine(labOf(cmd), name, command);
      }),
    );

  machine
    .command('start')
    .description("Start a lab host's weftd again")
    .argument('<name...>')
    .action(
      action(async (names: string[], _opts: unknown, cmd: Command) => {
        for (const n of names) await startMachine(labOf(cmd), n);
      }),
    );

  machine
    .command('stop')
    .description("Stop a lab host's weftd (SIGTERM, then SIGKILL); its namespaces stay")
    .argument('<name...>')
    .action(
      action(async (names: string[], _opts: unknown, cmd: Command) => {
        for (const n of names) await stopMachine(labOf(cmd), n);
      }),
    );

  machine
    .command('kill')
    .description("Kill a lab host's weftd (SIGKILL, as a crash would)")
    .argument('<name...>')
    .action(
      action(async (names: string[], _opts: unknown, cmd: Command) => {
        for (const n of names) await stopMachine(labOf(cmd), n, { kill: true });
      }),
    );

  machine
    .command('rm')
    .description('Remove lab hosts and everything they made; with the last one, the lab')
    .argument('[name...]')
    .option('--all', "remove the whole lab, including leftovers of earlier runs")
    .option('-f, --force', 'accepted for docker-machine compatibility (removal is always forced)')
    .option('-y', 'accepted for docker-machine compatibility (there is no prompt)')
    .action(
      action(async (names: string[], opts: { all?: boolean }, cmd: Command) => {
        const lab = labOf(cmd);
        if (opts.all) {
          if (names.length > 0) throw new Error('give either --all or machine names');
          await removeLab(lab);
        } else {
          if (names.length === 0) throw new Error('give the machines to remove, or --all');
          await removeMachines(lab, names);
        }
      }),
    );

  for (const sub of machine.commands) sub.addOption(labOption());
  return machine;
}

export function labCommand(): Command {
  const lab = new Command('lab').description('The lab as a whole: its LAN and all its machines');
  lab
    .command('rm')
    .description("Remove everything of a lab: its machines, its LAN, and leftovers of killed runs")
    .addOption(labOption())
    .action(action(async (_opts: unknown, cmd: Command) => removeLab(labOf(cmd))));
  return lab;
}
