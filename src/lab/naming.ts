// Where a lab and its machines live: names, namespace names and paths, all derived from the
// lab's name and a machine's name so that nothing derivable has to be stored.
//
// /run/netns is machine-global, so every namespace carries the lab's prefix: the LAN is
// `<lab>-lan`, a machine is `<lab>-<host>`, and everything a machine's weftd creates is
// `<lab>-<host>-…`. That is why names may not contain "-": with "host" and "host-1" in one lab,
// the prefix `<lab>-host-` would also match host-1's namespaces, and `rm host` would take them.
import path from 'node:path';
import { invalid } from '../errors.js';

export interface LabConfig {
  /** The lab's name: the prefix of every namespace it makes. */
  readonly name: string;
  /** Parent of the lab's state directory (machines.json, cluster.db, data roots, logs). */
  readonly stateRoot: string;
  /** Parent of the lab's run directory (API sockets, exec roots, UTS namespace files). */
  readonly runRoot: string;
  /** argv prefix that starts weftd; the lab appends weftd's flags. */
  readonly weftd: readonly string[];
  /** How long to wait for a new weftd to answer /_ping. */
  readonly startTimeoutMs: number;
  /** How long weftd gets after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs: number;
  /** Progress messages (never results): the CLI sends them to stderr. */
  readonly log: (message: string) => void;
}

export const DEFAULT_LAB = 'weft';
export const DEFAULT_STATE_ROOT = '/var/lib/weft/labs';
export const DEFAULT_RUN_ROOT = '/run/weft';

/** The lab LAN: 198.18.0.0/24 (benchmarking range; this machine's own LAN may use TEST-NET-1). The LAN bridge holds .1; machines get .2 … .254. */
export const LAN_PREFIX = '198.18.0.';
export const LAN_PREFIX_LENGTH = 24;
export const LAN_GATEWAY = `${LAN_PREFIX}1`;
export const LAN_BRIDGE = 'lan0';
export const MACHINE_IFACE = 'eth1';

/** sun_path is 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;
export const NAME = /^[a-z0-9]+$/;
const MAX_NAME = 32;

export function checkLabName(name: string): string {
  if (!NAME.test(name) || name.length > MAX_NAME) {
    throw invalid(
      `invalid lab name "${name}": use 1-${MAX_NAME} lowercase letters and digits ` +
        '(it prefixes namespace names, "<lab>-<machine>-…", where "-" separates the fields)',
    );
  }
  return name;
}

export function checkMachineName(lab: LabConfig, name: string): string {
  if (!NAME.test(name) || name.length > MAX_NAME) {
    throw invalid(
      `invalid machine name "${name}": use 1-${MAX_NAME} lowercase letters and digits ` +
        '(it is part of namespace names, "<lab>-<machine>-…", where "-" separates the fields)',
    );
  }
  if (name === 'lan') throw invalid('invalid machine name "lan": the lab\'s LAN namespace is <lab>-lan');
  const socket = socketPath(lab, name);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw invalid(
      `machine "${name}" in lab "${lab.name}": its API socket path ${socket} is ` +
        `${Buffer.byteLength(socket)} bytes, over the ${MAX_SOCKET_PATH}-byte limit of unix sockets; use shorter names`,
    );
  }
  return name;
}

// ---- namespaces ------------------------------------------------------------------------------

export const labNetnsPrefix = (lab: LabConfig) => `${lab.name}-`;
export const lanNetns = (lab: LabConfig) => `${lab.name}-lan`;
export const machineNetns = (lab: LabConfig, host: string) => `${lab.name}-${host}`;
/** Prefix handed to weftd (--netns-prefix) for the namespaces it creates. */
export const machineNetnsPrefix = (lab: LabConfig, host: string) => `${lab.name}-${host}-`;
export const netnsPath = (netns: string) => `/run/netns/${netns}`;

/**
 * The machine a lab namespace belongs to (`<lab>-<host>` or `<lab>-<host>-…`), 'lan' for the
 * LAN, or undefined when the name is not the lab's.
 */
export function netnsOwner(lab: LabConfig, netns: string): string | undefined {
  const prefix = labNetnsPrefix(lab);
  if (!netns.startsWith(prefix)) return undefined;
  const owner = netns.slice(prefix.length).split('-')[0];
  return owner === '' ? undefined : owner;
}

// ---- paths -----------------------------------------------------------------------------------

export const labStateDir = (lab: LabConfig) => path.join(lab.stateRoot, lab.name);
export const labRunDir = (lab: LabConfig) => path.join(lab.runRoot, lab.name);
export const machinesFile = (lab: LabConfig) => path.join(labStateDir(lab), 'machines.json');
/** Beside the state dir, not in it: removing the lab's directories must not remove its lock. */
export const lockFile = (lab: LabConfig) => path.join(lab.stateRoot, `.${lab.name}.lock`);
export const clusterDbPath = (lab: LabConfig) => path.join(labStateDir(lab), 'cluster.db');
export const defaultClusterStore = (lab: LabConfig) => `sqlite://${clusterDbPath(lab)}`;

/** Everything of one machine under the state dir: its data root and its weftd log. */
export const machineStateDir = (lab: LabConfig, host: string) => path.join(labStateDir(lab), 'machines', host);
export const machineDataRoot = (lab: LabConfig, host: string) => path.join(machineStateDir(lab, host), 'data');
export const machineLog = (lab: LabConfig, host: string) => path.join(machineStateDir(lab, host), 'weftd.log');

export const machineExecRoot = (lab: LabConfig, host: string) => path.join(labRunDir(lab), host);
export const socketPath = (lab: LabConfig, host: string) => path.join(labRunDir(lab), `${host}.sock`);
/** The bind-mounted UTS namespace that holds the machine's hostname, weftd or not. */
export const utsFile = (lab: LabConfig, host: string) => path.join(labRunDir(lab), `${host}.uts`);

export const dockerHost = (lab: LabConfig, host: string) => `unix://${socketPath(lab, host)}`;
