// Child process for the multi-process IPAM test: opens the shared SQLite file as its own client,
// prints "ready", waits for a line on stdin (so every child starts allocating at once), then
// allocates and prints one JSON line {"ok": [...], "failed": n, "errors": [...]} to stdout.
//
//   WEFT_IPAM_CHILD=1 node alloc-child.js <db> addresses <networkId> <count> <poolJson>
//   WEFT_IPAM_CHILD=1 node alloc-child.js <db> pools <networkIdPrefix> <count>
//   WEFT_IPAM_CHILD=1 node alloc-child.js <db> vnis <networkIdPrefix> <count>
//
// Does nothing unless WEFT_IPAM_CHILD=1, so a test runner that loads it by accident is harmless.
import { allocateVni } from '../../src/cluster/vni.js';
import { isWeftError } from '../../src/errors.js';
import { GLOBAL_DEFAULT_POOLS, Ipam } from '../../src/ipam/ipam.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

async function main(): Promise<void> {
  const [db, mode, id, countText, poolJson] = process.argv.slice(2);
  if (db === undefined || mode === undefined || id === undefined || countText === undefined) throw new Error('usage: see the header');
  const count = Number(countText);
  const store = await openSqliteStore(db);
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  const ipam = new Ipam(store, { defaultPools: GLOBAL_DEFAULT_POOLS });
  const ok: (string | number)[] = [];
  const errors: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      try {
        if (mode === 'addresses') ok.push(await ipam.requestAddress(id, JSON.parse(poolJson ?? ''), { owner: `${process.pid}-${i}` }));
        else if (mode === 'pools') ok.push((await ipam.requestPool(`${id}-${process.pid}-${i}`, {})).subnet);
        else if (mode === 'vnis') ok.push(await allocateVni(store, `${id}-${process.pid}-${i}`));
        else throw new Error(`unknown mode ${mode}`);
      } catch (err) {
        if (!isWeftError(err)) throw err;
        errors.push(`${err.kind}: ${err.message}`);
      }
    }
  } finally {
    await store.close();
  }
  process.stdout.write(`${JSON.stringify({ ok, failed: errors.length, errors })}\n`);
}

if (process.env.WEFT_IPAM_CHILD === '1') {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
