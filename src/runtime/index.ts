// The runtime's public surface, for the daemon (wiring) and the API (handlers).

export { ContainerManager, type ContainerManagerOptions, type ExecOptions } from './containers.js';
export { ImageStore, type ImageRecord, type ImportOptions, type ImageDeleteItem } from './images.js';
export type { ImageConfig } from './image-config.js';
export { buildBusyboxTarball, importBusybox, BUSYBOX_CHANGES } from './busybox.js';
export type {
  ContainerNetworking, ContainerNetworkSpec, ContainerNetworkSetup, EndpointRequest,
} from './networking.js';
export { LoopbackNetworking, LOCALHOST_HOSTS } from './loopback-networking.js';
export type { Attachment, AttachOptions } from './stdio-hub.js';
export type { ExecProcess } from './sandbox-process.js';
export { dockerState, dockerConfig, dockerInspectBase, psCommand, psStatus } from './docker-shapes.js';
export { parseApiTimestamp, formatNs, formatNsTrimmed, ZERO_TIME } from './timestamps.js';
export { parseSignal } from './signals.js';
export type { TtySize } from './terminal.js';
export type * from './types.js';
