// Turning a create request plus its image into the container's configuration, with moby's
// merge rules, and the environment a process gets at start or exec.

import { posix } from 'node:path';
import { invalid } from '../errors.js';
import { DEFAULT_PATH, envKey, mergeEnv, type ImageConfig } from './image-config.js';
import { parseSignal } from './signals.js';
import type { ContainerConfig, ContainerCreateConfig } from './types.js';

export interface MergedConfig {
  readonly config: ContainerConfig;
  readonly path: string;
  readonly args: readonly string[];
}

export function mergeCreateConfig(req: ContainerCreateConfig, image: ImageConfig, defaultHostname: string): MergedConfig {
  // moby's merge(): an overridden Entrypoint drops the image's Cmd; `--entrypoint ""` ([]) clears it.
  // The CLI sends `--entrypoint ""` as [""]: an explicitly empty entrypoint.
  let entrypoint = req.entrypoint?.length === 1 && req.entrypoint[0] === '' ? [] : req.entrypoint ?? null;
  let cmd = req.cmd && req.cmd.length > 0 ? req.cmd : null;
  if (!entrypoint || entrypoint.length === 0) {
    if (!cmd) cmd = image.Cmd;
    if (entrypoint === null) entrypoint = image.Entrypoint;
  }
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0) throw invalid('No command specified');

  const workingDir = req.workingDir || image.WorkingDir || '';
  if (workingDir !== '' && !posix.isAbsolute(workingDir)) {
    throw invalid(`the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
  }
  const stopSignal = req.stopSignal || image.StopSignal || '';
  if (stopSignal) parseSignal(stopSignal);
  if (req.stopTimeout !== undefined && !Number.isInteger(req.stopTimeout)) throw invalid('invalid stop timeout');

  const config: ContainerConfig = {
    hostname: req.hostname || defaultHostname,
    domainname: req.domainname ?? '',
    user: req.user || image.User || '',
    env: mergeEnv(image.Env ?? [], req.env ?? []),
    cmd: cmd ? [...cmd] : null,
    entrypoint: entrypoint ? [...entrypoint] : null,
    image: req.image,
    workingDir: workingDir ? posix.normalize(workingDir) : '',
    labels: { ...(image.Labels ?? {}), ...(req.labels ?? {}) },
    tty: req.tty ?? false,
    openStdin: req.openStdin ?? false,
    stdinOnce: req.stdinOnce ?? false,
    attachStdin: req.attachStdin ?? false,
    attachStdout: req.attachStdout ?? false,
    attachStderr: req.attachStderr ?? false,
    exposedPorts: image.ExposedPorts,
    stopSignal,
    stopTimeout: req.stopTimeout ?? null,
  };
  return { config, path: argv[0], args: argv.slice(1) };
}

/**
 * The environment of a container process: Docker's defaults, then the container's Env, then
 * `extra` (an exec's Env). TERM=xterm comes with the process's own terminal (`tty`): an exec's
 * Tty decides for the exec, as in moby's CreateDaemonEnvironment.
 */
export function processEnv(config: ContainerConfig, home: string, extra: readonly string[] = [], tty = config.tty): string[] {
  const defaults = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${config.hostname}`, ...(tty ? ['TERM=xterm'] : [])];
  const env = mergeEnv(mergeEnv(defaults, config.env), extra);
  if (!env.some((e) => envKey(e) === 'HOME')) env.push(`HOME=${home}`);
  return env;
}

export function envValue(env: readonly string[], key: string): string | undefined {
  const entry = env.find((e) => envKey(e) === key);
  return entry === undefined ? undefined : entry.slice(key.length + 1);
}
