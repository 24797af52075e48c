// The store layout of the control plane, in one place (docs/store-layout.md explains it).
// Keys are relative to the store's root (default `weft/v1/`).
export const keys = {
  networks: 'networks/',
  network: (id: string) => `networks/${id}`,
  networkName: (name: string) => `network-names/${name}`,
  hosts: 'hosts/',
  host: (name: string) => `hosts/${name}`,
  endpoints: 'endpoints/',
  networkEndpoints: (networkId: string) => `endpoints/${networkId}/`,
  endpoint: (networkId: string, endpointId: string) => `endpoints/${networkId}/${endpointId}`,
  endpointName: (networkId: string, name: string) => `endpoint-names/${networkId}/${name.toLowerCase()}`,
} as const;
