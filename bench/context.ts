// What every measurement gets: the lab, the parameters, where to put figures, samples, notes.
import path from 'node:path';
import { repoRoot } from '../src/lab/index.js';
import type { BenchLab } from './lib/lab.js';
import type { Params } from './params.js';
import type { Figures } from './report.js';

export interface Context {
  readonly lab: BenchLab;
  readonly params: Params;
  readonly figures: Figures;
  readonly samples: Record<string, number[]>;
  readonly details: Record<string, unknown>;
  readonly notes: string[];
  log(message: string): void;
}

/** The in-namespace probe (bench/tools/probe.ts), compiled. */
export const probeScript = (): string => path.join(repoRoot(), 'dist', 'bench', 'tools', 'probe.js');

/**
 * argv of a probe that times something: under SCHED_FIFO (chrt), so that on a busy two-core box
 * it sends and reads on time. Measured here: at normal priority the gap between two polls
 * reached 9–12 ms while `docker run` kept both cores busy; under chrt it stays near 0.5 ms
 * (the largest gap of each trial is recorded in the details). The probe sleeps between sends,
 * so it takes little CPU from what it measures.
 */
export const timingProbe = (mode: string, args: readonly string[]): string[] => ['chrt', '--fifo', '10', process.execPath, probeScript(), mode, ...args];

/**
 * The two hosts most measurements use. host1 forwards unknown names to an upstream that drops
 * them (a black hole), host2 to one whose port is closed; both are inside the lab.
 */
export interface CoreLab {
  readonly host1: string;
  readonly host2: string;
  readonly network: string;
  /** Upstream addresses given to the hosts (--engine-opt dns=…). */
  readonly closedUpstream: string;
  readonly blackholeUpstream: string;
}
