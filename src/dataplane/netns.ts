// Named network namespaces. /run/netns is global to the machine, so callers pass names that
// already carry their lab's and host's prefix; nothing here adds one.
import { isAlreadyGone, parseJsonArray } from './iproute.js';
import type { CommandRunner } from './runner.js';
import { CommandError } from './runner.js';
import { netnsName } from './validate.js';

export function netnsPath(name: string): string {
  return `/run/netns/${netnsName(name)}`;
}

/** Creates the namespace unless it exists, and brings its `lo` up either way. */
export async function createNetns(runner: CommandRunner, name: string): Promise<void> {
  await addNetns(runner, name);
  await loopbackUp(runner, name);
}

/** Creates the namespace unless it exists; its `lo` is down until `loopbackUp`. */
export async function addNetns(runner: CommandRunner, name: string): Promise<void> {
  netnsName(name);
  const argv = ['ip', 'netns', 'add', name];
  const r = await runner.run(argv, { allowFail: true });
  if (r.code !== 0 && !/File exists/.test(r.stderr)) throw new CommandError(argv, r.code, r.stderr);
}

export async function loopbackUp(runner: CommandRunner, name: string): Promise<void> {
  await runner.run(['ip', '-n', netnsName(name), 'link', 'set', 'lo', 'up']);
}

/** Deletes the namespace; deleting one that is already gone succeeds. */
export async function deleteNetns(runner: CommandRunner, name: string): Promise<void> {
  netnsName(name);
  const argv = ['ip', 'netns', 'del', name];
  const r = await runner.run(argv, { allowFail: true });
  if (r.code !== 0 && !isAlreadyGone(r.stderr)) throw new CommandError(argv, r.code, r.stderr);
}

/** Names of the namespaces that start with `prefix`, sorted. */
export async function listNetns(runner: CommandRunner, prefix: string): Promise<string[]> {
  const r = await runner.run(['ip', '-json', 'netns', 'list']);
  return parseJsonArray<{ name: string }>(r.stdout)
    .map((n) => n.name)
    .filter((n) => n.startsWith(prefix))
    .sort();
}
