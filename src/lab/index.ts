// The lab: many Weft hosts on one box (what docker-machine + VirtualBox did for Docker), each a
// network namespace on a private LAN bridge with its own hostname and its own weftd.
export {
  DEFAULT_LAB,
  LAN_GATEWAY,
  LAN_PREFIX,
  clusterDbPath,
  defaultClusterStore,
  dockerHost,
  labRunDir,
  labStateDir,
  lanNetns,
  machineDataRoot,
  machineExecRoot,
  machineLog,
  machineNetns,
  machineNetnsPrefix,
  socketPath,
  utsFile,
  type LabConfig,
} from './naming.js';
export {
  createMachine,
  execInMachine,
  inspectMachine,
  labConfig,
  listMachines,
  prepareLab,
  machineConfig,
  machineIp,
  startMachine,
  stopMachine,
  type CreateMachineOptions,
  type MachineInfo,
} from './machines.js';
export { removeLab, removeMachines } from './cleanup.js';
export { labResidue, type LabResidue } from './ownership.js';
export { inMachine, inLan, repoRoot } from './weftd.js';
export {
  STORE_KINDS,
  checkStoreKind,
  listStoreServers,
  startStoreServer,
  stopStoreServers,
  storeUrl,
  type StoreKind,
  type StoreServerInfo,
} from './store-server.js';
