// `weft`: lab hosts (`machine`, `lab`) and Docker-style verbs that talk to a weftd over its API.
import { Command } from 'commander';
import { DockerClient, resolveHost } from './client.js';
import { inspectCommand, logsCommand, psCommand, rmCommand, runCommand, stopCommand } from './container.js';
import { imageCommand } from './image.js';
import { labCommand, machineCommand } from './machine.js';
import { networkCommand } from './network.js';
import { storeCommand } from './store.js';

const program = new Command('weft')
  .description('Weft: multi-host container networking (Docker classic overlay mode, rebuilt)')
  .option('-H, --host <unix:///path>', 'weftd API socket (default $DOCKER_HOST)')
  .enablePositionalOptions()
  .showHelpAfterError();

const client = () => new DockerClient(resolveHost(program.opts<{ host?: string }>().host));

program.addCommand(machineCommand());
program.addCommand(labCommand());
program.addCommand(storeCommand());
program.addCommand(networkCommand(client));
program.addCommand(runCommand(client));
program.addCommand(psCommand(client));
program.addCommand(inspectCommand(client));
program.addCommand(logsCommand(client));
program.addCommand(stopCommand(client));
program.addCommand(rmCommand(client));
program.addCommand(imageCommand(client));

await program.parseAsync(process.argv);
