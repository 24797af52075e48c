// The runtime's records and requests. Plain data: ContainerManager keeps them, container-store.ts
// persists them, docker-shapes.ts turns them into Docker's JSON.

import type { EndpointRequest } from './networking.js';
import type { TtySize } from './terminal.js';

/** A validated `POST /containers/create` (the API maps Docker's JSON into this). */
export interface ContainerCreateConfig {
  /** Without or with the leading slash; generated (adjective_surname) when absent. */
  readonly name?: string;
  /** The image reference exactly as typed (`busybox`, `myimg:1.0`, an id). */
  readonly image: string;
  /** null/absent = the image's Cmd (when Entrypoint is not overridden). */
  readonly cmd?: readonly string[] | null;
  /** null/absent = the image's Entrypoint; [] clears it (`--entrypoint ""`). */
  readonly entrypoint?: readonly string[] | null;
  /** `K=V` entries, merged over the image's Env. */
  readonly env?: readonly string[] | null;
  /** Absolute; empty = the image's WorkingDir or `/`. */
  readonly workingDir?: string;
  /** `name`, `uid`, `name:group`, `uid:gid`; empty = the image's User or root. */
  readonly user?: string;
  /** Empty = the first 12 hex of the id (or the host's name with `--net host`). */
  readonly hostname?: string;
  readonly domainname?: string;
  readonly tty?: boolean;
  /** HostConfig.ConsoleSize: the terminal's size at every start of a Tty container. */
  readonly consoleSize?: TtySize;
  readonly openStdin?: boolean;
  readonly stdinOnce?: boolean;
  readonly attachStdin?: boolean;
  readonly attachStdout?: boolean;
  readonly attachStderr?: boolean;
  /** HostConfig.AutoRemove (`--rm`) */
  readonly autoRemove?: boolean;
  /** HostConfig.NetworkMode; default `default`. */
  readonly networkMode?: string;
  /** NetworkingConfig.EndpointsConfig, by network name. */
  readonly endpointsConfig?: Readonly<Record<string, EndpointRequest>>;
  readonly labels?: Readonly<Record<string, string>>;
  /** Seconds `stop` waits before SIGKILL; default 10. */
  readonly stopTimeout?: number;
  /** Default SIGTERM (or the image's STOPSIGNAL). */
  readonly stopSignal?: string;
  /**
   * Opaque data the API wants back at inspect (e.g. the HostConfig echo); persisted verbatim
   * with the container and never interpreted by the runtime.
   */
  readonly extras?: unknown;
}

export type ContainerStatus = 'created' | 'running' | 'exited' | 'removing' | 'dead';

export interface ContainerState {
  readonly status: ContainerStatus;
  /** PID 1 of the container, as seen from the machine's initial PID namespace; 0 when not running. */
  readonly pid: number;
  readonly exitCode: number;
  /** Why the last start failed (Docker's State.Error); empty otherwise. */
  readonly error: string;
  /** RFC3339Nano; null = never started. */
  readonly startedAt: string | null;
  /** RFC3339Nano; null = never exited. */
  readonly finishedAt: string | null;
}

/** The container's configuration after merging the create request with the image. */
export interface ContainerConfig {
  readonly hostname: string;
  readonly domainname: string;
  readonly user: string;
  readonly env: readonly string[];
  readonly cmd: readonly string[] | null;
  readonly entrypoint: readonly string[] | null;
  /** As typed at create. */
  readonly image: string;
  readonly workingDir: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly tty: boolean;
  readonly openStdin: boolean;
  readonly stdinOnce: boolean;
  readonly attachStdin: boolean;
  readonly attachStdout: boolean;
  readonly attachStderr: boolean;
  readonly exposedPorts: Readonly<Record<string, Record<string, never>>> | null;
  readonly stopSignal: string;
  readonly stopTimeout: number | null;
}

export interface ContainerRecord {
  /** 64 hex */
  readonly id: string;
  /** Without the leading slash (inspect's Name is `/` + name). */
  readonly name: string;
  /** RFC3339Nano */
  readonly created: string;
  /** `sha256:<64hex>` of the image at create time. */
  readonly imageId: string;
  /** The program and its arguments (inspect's Path and Args). */
  readonly path: string;
  readonly args: readonly string[];
  readonly config: ContainerConfig;
  readonly networkMode: string;
  readonly autoRemove: boolean;
  readonly endpointsConfig: Readonly<Record<string, EndpointRequest>>;
  readonly state: ContainerState;
  /** The namespace the running container uses (SandboxKey); null when stopped or `--net host`. */
  readonly netnsPath: string | null;
  readonly hostsPath: string;
  readonly hostnamePath: string;
  readonly resolvConfPath: string;
  readonly logPath: string;
  readonly restartCount: number;
  /** The terminal's size at start (Tty only); absent = unset. */
  readonly consoleSize?: TtySize;
  readonly extras?: unknown;
}

export type OutputStream = 'stdout' | 'stderr';

/** Raw process output, as attach streams it (not split into lines). */
export interface OutputChunk {
  readonly stream: OutputStream;
  readonly data: Buffer;
}

/** One logged line (the last one of a stream may lack its newline). */
export interface LogEntry {
  readonly stream: OutputStream;
  /** RFC3339 with nine fractional digits, as `docker logs -t` prints it. */
  readonly time: string;
  /** The same instant in ns since the epoch, for since/until comparisons. */
  readonly timeNs: bigint;
  readonly data: Buffer;
}

export interface LogsOptions {
  /** Keep streaming new entries until the container stops. */
  readonly follow?: boolean;
  /** Only entries at or after this instant (ns since the epoch). See parseApiTimestamp. */
  readonly since?: bigint;
  /** Only entries before this instant (ns since the epoch). */
  readonly until?: bigint;
  /** The last N existing entries (before following); `all` or undefined = everything. */
  readonly tail?: number | 'all';
  /** Default true for both. */
  readonly stdout?: boolean;
  readonly stderr?: boolean;
  /** Stops a follow (e.g. when the HTTP client goes away). Breaking out of the loop also works. */
  readonly signal?: AbortSignal;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  readonly StatusCode: number;
  readonly Error?: { readonly Message: string };
}

export type ContainerEventAction = 'create' | 'start' | 'die' | 'kill' | 'stop' | 'destroy' | 'attach' | 'exec_start';

/** For `GET /events` and for the API to refresh cached views. */
export interface ContainerEvent {
  readonly action: ContainerEventAction;
  readonly id: string;
  readonly name: string;
  readonly image: string;
  /** ns since the epoch */
  readonly timeNs: bigint;
  /** e.g. exitCode for die, signal for kill */
  readonly attributes: Readonly<Record<string, string>>;
}

/** pino's Logger satisfies this. */
export interface RuntimeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
