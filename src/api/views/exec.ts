// An exec instance as Docker JSON (moby's container.ExecInspect, in its field order).

import type { ExecView } from '../backend.js';

export function execToDocker(e: ExecView) {
  const [entrypoint, ...args] = e.request.cmd;
  return {
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode,
    ProcessConfig: {
      tty: e.request.tty,
      entrypoint: entrypoint ?? '',
      arguments: args,
      privileged: e.request.privileged,
      ...(e.request.user ? { user: e.request.user } : {}),
    },
    OpenStdin: e.request.attachStdin,
    OpenStderr: e.request.attachStderr,
    OpenStdout: e.request.attachStdout,
    CanRemove: false,
    ContainerID: e.containerId,
    DetachKeys: e.request.detachKeys,
    Pid: e.pid,
  };
}
