// One clock for every timing: CLOCK_MONOTONIC through process.hrtime. It is machine-wide (the
// benchmark never enters a time namespace), so a probe running in a container's network
// namespace can report an instant that the orchestrator compares with its own.
import { setTimeout as sleep } from 'node:timers/promises';

export const nowNs = (): bigint => process.hrtime.bigint();

export const msSince = (startNs: bigint): number => Number(nowNs() - startNs) / 1e6;

export const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

export { sleep };

/** Poll `check` every `everyMs` until it returns something other than undefined, or time runs out. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
