// HOOK for the integrator: runs once a new machine's weftd answers, before `machine create`
// returns. When the image import API exists (POST /images/create?fromSrc=-&repo=busybox:latest),
// import `busybox:latest` here: plain node http over `machine.socketPath`, with the tarball from
// src/runtime's busybox builder. A throw here rolls the whole create back.
import type { LabConfig } from './naming.js';
import type { MachineInfo } from './machines.js';

export async function afterCreate(_lab: LabConfig, _machine: MachineInfo): Promise<void> {
  // TODO(integrator): import busybox:latest into the new machine.
}
