// What the lab-facing commands (`weft machine`, `weft lab`, `weft store`) share: the --lab option
// and how an action reports failure.
import { type Command, Option } from 'commander';
import { labConfig, type LabConfig } from '../lab/index.js';

export const labOption = () => new Option('--lab <name>', 'lab to work in (default: weft)').env('WEFT_LAB');

/** The lab named on the subcommand or its parent (`weft machine --lab x ls`, `… ls --lab x`). */
export function labOf(cmd: Command): LabConfig {
  let name: string | undefined;
  for (let c: Command | null = cmd; c && name === undefined; c = c.parent) name = c.opts<{ lab?: string }>().lab;
  return labConfig({ ...(name === undefined ? {} : { name }), log: (m) => process.stderr.write(`${m}\n`) });
}

/** Run an action; a failure is one line on stderr and exit code 1, not a stack trace. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  };
}
