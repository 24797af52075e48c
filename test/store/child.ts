// Another OS process using the store under test, as a second weftd would. Started by
// helpers.startChild: it receives a ChildStart over IPC, opens the store through the backend's
// opener module, says "ready", runs its job and reports the result.
import type { Store } from '../../src/store/store.js';
import { updateJson } from '../../src/store/update.js';
import { waitUntil, type ChildMessage, type ChildStart, type RaceResult } from './helpers.js';

type Opener = { openStore(config: unknown): Promise<Store> };

const send = (message: ChildMessage) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));
const go = new Promise<void>((resolve) => process.on('message', (m: { type?: string }) => m.type === 'go' && resolve()));

async function race(store: Store, job: Extract<ChildStart['job'], { kind: 'race' }>): Promise<RaceResult> {
  const counterKey = `${job.prefix}counter`;
  const seen: number[] = [];
  let sawOtherDone = false;
  let broken: Error | undefined;
  const watch = await store.watch(job.prefix, {
    fromRevision: job.fromRevision,
    onEvents: (events) => {
      for (const e of events) {
        if (e.type === 'put' && e.kv.key === counterKey) seen.push(JSON.parse(e.kv.value) as number);
        if (e.type === 'put' && e.kv.key === `${job.prefix}done-${job.other}`) sawOtherDone = true;
      }
    },
    onError: (err) => (broken = err),
  });
  await send({ type: 'ready' });
  await go;
  const stall = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < job.times; i++) {
    await updateJson<number>(store, counterKey, (n) => {
      Atomics.wait(stall, 0, 0, job.stallMs); // a synchronous pause, as a slow allocator would take
      return (n ?? 0) + 1;
    });
  }
  await store.create(`${job.prefix}done-${job.id}`, 'yes');
  await waitUntil(() => {
    if (broken) throw broken;
    return sawOtherDone && seen.at(-1) === job.total;
  }, `child ${job.id} to see ${job.other}'s done key and the counter at ${job.total} (last seen ${seen.at(-1)})`);
  await watch.close();
  return { seen };
}

async function main(start: ChildStart): Promise<unknown> {
  const { openStore } = (await import(start.module)) as Opener;
  const store = await openStore(start.config);
  try {
    if (start.job.kind === 'race') return await race(store, start.job);
    await send({ type: 'ready' });
    return await store.create(start.job.key, start.job.value);
  } finally {
    await store.close();
  }
}

process.once('message', (start: ChildStart) => {
  main(start).then(
    (result) => send({ type: 'done', result: result ?? null }),
    (err: unknown) => send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) }),
  ).finally(() => process.disconnect());
});
