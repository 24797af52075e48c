// Docker's JSON for the parts of a container the runtime owns, in moby's field order, so the API
// can assemble `inspect` and `ps` without knowing the record's layout.

import { parseRfc3339Ns, ZERO_TIME } from './timestamps.js';
import type { ContainerRecord } from './types.js';
import { humanDuration } from '../util/human-duration.js';
export { humanDuration };

/** inspect's `State`. */
export function dockerState(c: ContainerRecord) {
  return {
    Status: c.state.status,
    Running: c.state.status === 'running',
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: c.state.status === 'dead',
    Pid: c.state.pid,
    ExitCode: c.state.exitCode,
    Error: c.state.error,
    StartedAt: c.state.startedAt ?? ZERO_TIME,
    FinishedAt: c.state.finishedAt ?? ZERO_TIME,
  };
}

/** inspect's `Config`. */
export function dockerConfig(c: ContainerRecord) {
  const k = c.config;
  return {
    Hostname: k.hostname,
    Domainname: k.domainname,
    User: k.user,
    AttachStdin: k.attachStdin,
    AttachStdout: k.attachStdout,
    AttachStderr: k.attachStderr,
    ...(k.exposedPorts ? { ExposedPorts: k.exposedPorts } : {}),
    Tty: k.tty,
    OpenStdin: k.openStdin,
    StdinOnce: k.stdinOnce,
    Env: k.env,
    Cmd: k.cmd,
    Image: k.image,
    Volumes: null,
    WorkingDir: k.workingDir,
    Entrypoint: k.entrypoint,
    OnBuild: null,
    Labels: k.labels,
    ...(k.stopSignal ? { StopSignal: k.stopSignal } : {}),
    ...(k.stopTimeout !== null ? { StopTimeout: k.stopTimeout } : {}),
  };
}

/** The top-level inspect fields the runtime knows, in moby's order (the API adds the rest). */
export function dockerInspectBase(c: ContainerRecord) {
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: dockerState(c),
    Image: c.imageId,
    ResolvConfPath: c.resolvConfPath,
    HostnamePath: c.hostnamePath,
    HostsPath: c.hostsPath,
    LogPath: c.logPath,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
  };
}

/** `ps`'s Command column: the program and arguments joined by spaces. */
export function psCommand(c: ContainerRecord): string {
  return [c.path, ...c.args].join(' ');
}

/** `ps`'s Status: "Up 2 seconds", "Exited (0) 1 second ago", "Created". */
export function psStatus(c: ContainerRecord, nowMs = Date.now()): string {
  const since = (t: string | null) => (t ? nowMs - Number(parseRfc3339Ns(t) / 1_000_000n) : 0);
  switch (c.state.status) {
    case 'running':
      return `Up ${humanDuration(since(c.state.startedAt))}`;
    case 'exited':
      return c.state.finishedAt
        ? `Exited (${c.state.exitCode}) ${humanDuration(since(c.state.finishedAt))} ago`
        : 'Created';
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    default:
      return 'Created';
  }
}

