// `GET /version` and `GET /info` bodies in moby's shapes and field order. The CLI decodes them
// into typed structs, so types must match (numbers stay numbers); fields Weft has nothing to say
// about are left out, and the CLI then prints nothing for them.

import { arch, machine } from 'node:os';
import type { SystemInfo, VersionInfo } from '../backend.js';
import { API_VERSION, MIN_API_VERSION } from '../version.js';

/** Go's GOARCH names, which `docker version` shows as OS/Arch. */
function goArch(): string {
  const a = arch();
  if (a === 'x64') return 'amd64';
  if (a === 'ia32') return '386';
  return a;
}

const RUNTIME = `node ${process.version}`;

export function versionToDocker(v: VersionInfo) {
  return {
    Platform: { Name: 'Weft' },
    Components: [
      {
        Name: 'Engine',
        Version: v.version,
        Details: {
          ApiVersion: API_VERSION,
          Arch: goArch(),
          BuildTime: v.buildTime,
          Experimental: 'false',
          GitCommit: v.gitCommit,
          GoVersion: RUNTIME,
          KernelVersion: v.kernelVersion,
          MinAPIVersion: MIN_API_VERSION,
          Os: 'linux',
        },
      },
    ],
    Version: v.version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: v.gitCommit,
    GoVersion: RUNTIME,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: v.kernelVersion,
    BuildTime: v.buildTime,
  };
}

export function infoToDocker(i: SystemInfo, now: Date) {
  const { running, paused, stopped } = i.containers;
  return {
    ID: i.id,
    Containers: running + paused + stopped,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: stopped,
    Images: i.images,
    Plugins: { Volume: [], Network: [...i.networkDrivers], Authorization: null, Log: [] },
    MemoryLimit: false,
    SwapLimit: false,
    CpuCfsPeriod: false,
    CpuCfsQuota: false,
    CPUShares: false,
    CPUSet: false,
    PidsLimit: false,
    IPv4Forwarding: true,
    Debug: false,
    OomKillDisable: false,
    SystemTime: now.toISOString(),
    KernelVersion: i.kernelVersion,
    OperatingSystem: i.operatingSystem,
    OSType: 'linux',
    Architecture: machine(),
    NCPU: i.ncpu,
    MemTotal: i.memTotal,
    DockerRootDir: i.rootDir,
    Name: i.name,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: i.serverVersion,
    // Classic (pre-swarm) multi-host fields: Docker 1.9–20.10 reported the cluster store here.
    ...(i.clusterStore !== undefined ? { ClusterStore: i.clusterStore } : {}),
    ...(i.clusterAdvertise !== undefined ? { ClusterAdvertise: i.clusterAdvertise } : {}),
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: false,
    Isolation: '',
    SecurityOptions: [],
    Warnings: [...(i.warnings ?? [])],
  };
}
