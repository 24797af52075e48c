// V8 heap settings for weftd, applied when this module is evaluated: bin/weftd imports it before
// the rest of weftd, so that loading weftd's modules already runs under them.
//
// V8 grows the young generation (two semi-spaces) from 1 MB up to 16 MB each whenever much of
// what it allocates survives a scavenge, as it does while modules load and in bursts of `docker
// run`, and keeps the pages resident afterwards: a weftd with 100 containers held 11–15 MB of
// young generation for under 3 MB of young objects (v8.getHeapSpaceStatistics()). A growth
// factor of 1 keeps both semi-spaces at their initial 1 MB: weftd's RSS with 100 containers went
// from ~110 to ~82 MB. Scavenges get more frequent but stay small; docker run latency and DNS
// throughput did not move measurably, and each spawn of `ip`/`bridge` forks a smaller process.
//
// Limits of setting flags at run time, measured on Node 20:
// - --max-semi-space-size, --optimize-for-size, --single-threaded-gc and the like are read when
//   the heap is set up; they need `node --max-semi-space-size=1 bin/weftd` (or NODE_OPTIONS).
//   Flipping GC threading flags in a running V8 crashes it (cppgc marker), so only this
//   number, read afresh at every growth, is changed here. A factor of 0 crashes V8 too.
// - Any changed flag changes V8's flag hash, so Node's embedded code cache of its own built-in
//   modules no longer applies and those compile from source when first required (tens of ms in
//   all, none measurable in weftd's start-up, which loads mostly its own modules).
import v8 from 'node:v8';

v8.setFlagsFromString('--semi-space-growth-factor=1');
