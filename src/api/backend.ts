// The API's view of the daemon: the few calls the HTTP handlers make. src/daemon implements
// these on top of the cluster services; tests use fakes (`satisfies NetworksBackend`). Failures
// are WeftErrors (src/errors.ts) whose kind picks the status and whose message is sent verbatim.

import type { Readable } from 'node:stream';
import type { EndpointRecord, NetworkCreateRequest, NetworkView } from '../cluster/types.js';
import type { ImageDeleteItem, ImageRecord, ImportOptions } from '../runtime/images.js';
import type { EndpointRequest as ContainerEndpointRequest } from '../runtime/networking.js';
import type {
  ContainerCreateConfig, ContainerRecord, LogEntry, LogsOptions, OutputChunk, WaitCondition, WaitResult,
} from '../runtime/types.js';

export type { NetworkCreateRequest, NetworkView } from '../cluster/types.js';
export type {
  ContainerCreateConfig, ContainerRecord, LogEntry, LogsOptions, OutputChunk, WaitCondition, WaitResult,
} from '../runtime/types.js';
export type { ImageDeleteItem, ImageRecord, ImportOptions } from '../runtime/images.js';

/** What `docker network connect` asks for one endpoint (Docker's EndpointSettings, validated). */
export interface EndpointRequest {
  /** Extra DNS names on this network (`--alias`). */
  readonly aliases: readonly string[];
  /** A fixed address (`--ip`), without prefix length. */
  readonly ipv4Address?: string;
  /** `--ip6`; Weft has no IPv6 endpoints, so the backend refuses it. */
  readonly ipv6Address?: string;
  readonly macAddress?: string;
  readonly driverOpts: Readonly<Record<string, string>>;
}

/** `network prune` filters, parsed; `matchesPruneFilters` (src/api/filters.ts) applies them. */
export interface NetworkPruneFilters {
  /** Only networks created before this instant (`until=`). */
  readonly until?: Date;
  /** `label=k` or `label=k=v`: every one must match. */
  readonly labels: readonly string[];
  /** `label!=k` or `label!=k=v`: skip networks that match all of them. */
  readonly labelsNot: readonly string[];
}

export interface NetworksBackend {
  /** Throws invalid (bad IPAM), conflict (name taken), forbidden (overlap) or not-found (driver). */
  create(req: NetworkCreateRequest): Promise<{ readonly id: string; readonly warning?: string }>;
  /** Every network in the cluster; `containers` may be left empty (list responses omit them). */
  list(): Promise<readonly NetworkView[]>;
  /** Exact id, then exact name, then unique id prefix; throws notFound('network X not found'). */
  get(ref: string): Promise<NetworkView>;
  /** Throws forbidden for predefined networks or networks with active endpoints. */
  remove(ref: string): Promise<void>;
  /** Removes unused, non-predefined networks matching the filters; returns their names. */
  prune(filters: NetworkPruneFilters): Promise<readonly string[]>;
  /** `container` is the reference as the user typed it (name, id or id prefix). */
  connect(ref: string, container: string, endpoint: EndpointRequest): Promise<void>;
  disconnect(ref: string, container: string, force: boolean): Promise<void>;
}

/** Facts about this daemon and its host for `GET /info`. */
export interface SystemInfo {
  /** Stable daemon id. */
  readonly id: string;
  /** The host's name (lab hosts have their own UTS namespace). */
  readonly name: string;
  readonly containers: { readonly running: number; readonly paused: number; readonly stopped: number };
  readonly images: number;
  /** Weft's release, shown as "Server Version". */
  readonly serverVersion: string;
  readonly kernelVersion: string;
  readonly operatingSystem: string;
  readonly ncpu: number;
  /** Bytes. */
  readonly memTotal: number;
  /** Network drivers available, e.g. ['bridge', 'host', 'null', 'overlay']. */
  readonly networkDrivers: readonly string[];
  readonly rootDir: string;
  /** Cluster store URL without credentials, as classic Docker's `ClusterStore`. */
  readonly clusterStore?: string;
  /** This host's advertise address (`ClusterAdvertise`). */
  readonly clusterAdvertise?: string;
  readonly warnings?: readonly string[];
}

/** Build facts for `GET /version`; the API versions themselves are the API layer's constants. */
export interface VersionInfo {
  readonly version: string;
  readonly gitCommit: string;
  /** RFC3339. */
  readonly buildTime: string;
  readonly kernelVersion: string;
}

export interface SystemBackend {
  info(): Promise<SystemInfo>;
  version(): Promise<VersionInfo>;
}

/** One network a container is configured for (NetworkSettings.Networks.<name>). */
export interface ContainerNetworkView {
  /** The network's name: the key under NetworkSettings.Networks. */
  readonly name: string;
  /** Empty when the network no longer exists. */
  readonly networkId: string;
  /** The network's gateway; empty for host/none. */
  readonly gateway: string;
  /** bridge/host/none: Docker gives their endpoints no DNS names. */
  readonly predefined: boolean;
  /** What create asked for on this network (aliases, --ip). */
  readonly request: ContainerEndpointRequest;
  /** The live endpoint while the container runs; absent when stopped (or host/none). */
  readonly endpoint?: EndpointRecord;
}

/** A container with what inspect and ps show beside the runtime's record. */
export interface ContainerView {
  readonly record: ContainerRecord;
  /** NetworkMode first, then the other configured networks. */
  readonly networks: readonly ContainerNetworkView[];
  /** Exec instances still running in the container. */
  readonly execIds: readonly string[];
}

/** A live connection to a process's stdio (attach, exec start). */
export interface StdioSession {
  /** Output until the process has exited (and, for exec, its exit code is recorded). */
  readonly output: AsyncIterable<OutputChunk>;
  /** Bytes for the process's stdin (dropped unless stdin was asked for). */
  write(data: Buffer): void;
  /** The client's stdin is at EOF. */
  endStdin(): void;
  /** The client went away: stop its output; the process is unaffected. */
  detach(): void;
}

export interface StdioRequest {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

/** `POST /containers/{id}/exec`, validated. */
export interface ExecCreateRequest {
  readonly cmd: readonly string[];
  readonly env: readonly string[];
  /** Empty: the container's user. */
  readonly user: string;
  /** Empty: the container's working directory. */
  readonly workingDir: string;
  readonly tty: boolean;
  readonly privileged: boolean;
  readonly attachStdin: boolean;
  readonly attachStdout: boolean;
  readonly attachStderr: boolean;
  readonly detachKeys: string;
}

/** `GET /exec/{id}/json`. */
export interface ExecView {
  readonly id: string;
  readonly containerId: string;
  readonly running: boolean;
  /** null until the process has exited. */
  readonly exitCode: number | null;
  /** 0 until started. */
  readonly pid: number;
  readonly request: ExecCreateRequest;
}

export interface ContainersBackend {
  /** 404 `No such image: …` for an unknown image (the CLI then tries a pull), 409 for a taken name. */
  create(config: ContainerCreateConfig): Promise<{ readonly id: string; readonly warnings: readonly string[] }>;
  /** Newest first; only running ones unless `all`. */
  list(opts: { readonly all: boolean }): Promise<readonly ContainerView[]>;
  /** Full id, exact name, then unique id prefix; 404 `No such container: <ref>`. */
  inspect(ref: string): Promise<ContainerView>;
  /** 304 when already running; an AutoRemove container whose start fails is removed. */
  start(ref: string): Promise<void>;
  /** 304 when not running. `timeoutSeconds` < 0 waits forever before SIGKILL. */
  stop(ref: string, opts: { readonly timeoutSeconds?: number; readonly signal?: string }): Promise<void>;
  restart(ref: string, opts: { readonly timeoutSeconds?: number; readonly signal?: string }): Promise<void>;
  /** Default SIGKILL; 409 when not running. */
  kill(ref: string, signal?: string): Promise<void>;
  /** 409 for a running container unless `force`. */
  remove(ref: string, opts: { readonly force: boolean }): Promise<void>;
  /**
   * Registers a waiter and resolves once it is registered (404 rejects at once, so the API can
   * answer it before the streaming 200). `result` settles when the condition is met.
   */
  wait(ref: string, condition: WaitCondition, signal: AbortSignal): Promise<{ readonly result: Promise<WaitResult> }>;
  /** Resolves the container first (a 404 rejects before streaming); entries follow. */
  logs(ref: string, opts: LogsOptions): Promise<{ readonly tty: boolean; readonly entries: AsyncIterable<LogEntry> }>;
  /** For created or running containers (409 otherwise); stdin may arrive before start. */
  attach(ref: string, opts: StdioRequest): Promise<{ readonly tty: boolean; readonly session: StdioSession }>;
  resize(ref: string, height: number, width: number): Promise<void>;
  /** 409 `container <id> is not running`. */
  createExec(ref: string, req: ExecCreateRequest): Promise<{ readonly id: string }>;
  /** 404 `No such exec instance: <id>`; 409 if already started. Detached: null, output discarded. */
  startExec(id: string, opts: { readonly detach: boolean }): Promise<{ readonly tty: boolean; readonly session: StdioSession } | null>;
  inspectExec(id: string): Promise<ExecView>;
  resizeExec(id: string, height: number, width: number): Promise<void>;
}

export interface ImagesBackend {
  /** `docker import`: the archive's bytes (plain or compressed tar). */
  import(archive: Readable, opts: ImportOptions): Promise<ImageRecord>;
  /** Newest first. */
  list(): Promise<readonly ImageRecord[]>;
  /** Full id, tag (Docker-normalised), unique id prefix; 404 `No such image: …`. */
  get(ref: string): Promise<ImageRecord>;
  remove(ref: string, opts: { readonly force: boolean }): Promise<readonly ImageDeleteItem[]>;
}

/** Everything the API server needs; without containers/images their routes are absent (404). */
export interface ApiBackend {
  readonly networks: NetworksBackend;
  readonly system: SystemBackend;
  readonly containers?: ContainersBackend;
  readonly images?: ImagesBackend;
}
