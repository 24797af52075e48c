// The Consul backend: `consul://h:8500/prefix`. Written to Consul's documented HTTP API and
// unit-tested against a fake agent; never run against a real Consul.
export { openConsulStore, describeConsul, type ConsulStoreOptions } from './consul-store.js';
