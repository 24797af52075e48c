// weftd's entry point: parse flags, start, and stop cleanly on SIGTERM/SIGINT.
// heap.js first: its V8 settings must hold before the other modules are evaluated.
import './heap.js';
import pino from 'pino';
import { parseDaemonArgs } from './config.js';
import { startDaemon } from './daemon.js';

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = parseDaemonArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`weftd: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = pino({ level: cfg.logLevel, base: { host: cfg.hostname } }, pino.destination(2));
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon(cfg, log);
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'weftd failed to start');
    process.stderr.write(`weftd: ${(err as Error).message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    void daemon.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
