// The trivial ContainerNetworking: a namespace with loopback only (Docker's `--net none`), or
// weftd's own namespace for `--net host`. Used by the runtime's tests and usable for `none`.

import { readFile } from 'node:fs/promises';
import { CommandError, hostTool, runCommand } from './os-commands.js';
import type { ContainerNetworking, ContainerNetworkSetup, ContainerNetworkSpec } from './networking.js';

export const LOCALHOST_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
  '',
].join('\n');

export class LoopbackNetworking implements ContainerNetworking {
  /** @param prefix goes in front of every namespace name (/run/netns is global on the machine). */
  constructor(private readonly prefix: string) {}

  netnsName(id: string): string {
    return `${this.prefix}${id.slice(0, 12)}`;
  }

  async setUp(c: ContainerNetworkSpec): Promise<ContainerNetworkSetup> {
    if (c.networkMode === 'host') {
      return { netnsPath: null, hosts: await readFile('/etc/hosts', 'utf8'), resolvConf: '' };
    }
    const name = this.netnsName(c.id);
    const ip = hostTool('ip');
    // A leftover from a crashed run would make `netns add` fail; this namespace is ours by name.
    await this.deleteNetns(name);
    await runCommand(ip, ['netns', 'add', name]);
    await runCommand(ip, ['-n', name, 'link', 'set', 'lo', 'up']);
    return { netnsPath: `/run/netns/${name}`, hosts: LOCALHOST_HOSTS, resolvConf: '' };
  }

  async tearDown(c: ContainerNetworkSpec & { readonly netnsPath: string | null }): Promise<void> {
    if (c.networkMode === 'host') return;
    await this.deleteNetns(this.netnsName(c.id));
  }

  private async deleteNetns(name: string): Promise<void> {
    try {
      await runCommand(hostTool('ip'), ['netns', 'delete', name]);
    } catch (err) {
      if (err instanceof CommandError && /No such file|not found|Invalid argument/i.test(err.stderr)) return;
      throw err;
    }
  }
}
