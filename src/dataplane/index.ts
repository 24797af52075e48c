// The data plane's public surface: the only code that touches the kernel's networking.
export { type CommandRunner, type RunOptions, type RunResult, CommandError, ExecRunner, RecordingRunner, type RecordedCall } from './runner.js';
export { addNetns, createNetns, deleteNetns, listNetns, loopbackUp, netnsPath } from './netns.js';
export { macFromIp } from './mac.js';
export { type ContainerPlug, vethName } from './veth.js';
export { VXLAN_OVERHEAD, VXLAN_PORT } from './devices.js';
export type { PeerSpec } from './peers.js';
export { OverlayDataplane, type OverlayEndpointRef, type OverlayEndpointSpec, type OverlayNetworkSpec } from './overlay.js';
export { BridgeDataplane, type BridgeEndpointRef, type BridgeEndpointSpec, type BridgeNetworkSpec, type BridgeRef } from './bridge.js';
