// `weft`: lab hosts (`machine`, `lab`) and Docker-style verbs that talk to a weftd over its API.
import { Command } from 'commander';
import { DockerClient, resolveHost } from './client.js';
import { labCommand, machineCommand } from './machine.js';
import { networkCommand } from './network.js';

const program = new Command('weft')
  .description('Weft: multi-host container networking (Docker classic overlay mode, rebuilt)')
  .option('-H, --host <unix:///path>', 'weftd API socket (default $DOCKER_HOST)')
  .enablePositionalOptions()
  .showHelpAfterError();

const client = () => new DockerClient(resolveHost(program.opts<{ host?: string }>().host));

program.addCommand(machineCommand());
program.addCommand(labCommand());
program.addCommand(networkCommand(client));

await program.parseAsync(process.argv);
