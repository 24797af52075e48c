// Small helpers the measurements share.

/** Run task(0 … count−1) with at most `width` at a time; the first failure is thrown at the end. */
export async function runParallel(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < count && failure === undefined) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  if (failure !== undefined) throw failure;
}

/** A JSON line from a probe, checked. */
export function parseProbe<T extends { ok: boolean; why?: string }>(line: string, what: string): T {
  let obj: T;
  try {
    obj = JSON.parse(line) as T;
  } catch {
    throw new Error(`${what}: probe printed ${JSON.stringify(line)}`);
  }
  return obj;
}
