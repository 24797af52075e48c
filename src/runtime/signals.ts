import { constants } from 'node:os';
import { invalid } from '../errors.js';

const byNumber = new Map<number, NodeJS.Signals>();
for (const [name, num] of Object.entries(constants.signals)) {
  if (!byNumber.has(num)) byNumber.set(num, name as NodeJS.Signals);
}

/** Accepts what Docker accepts: "SIGTERM", "TERM", "term", "15". */
export function parseSignal(value: string | number): NodeJS.Signals {
  const text = String(value).trim();
  if (/^\d+$/.test(text)) {
    const sig = byNumber.get(Number(text));
    if (sig) return sig;
  } else {
    const name = (text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`);
    if (name in constants.signals) return name as NodeJS.Signals;
  }
  throw invalid(`Invalid signal: ${text}`);
}

export function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig];
}

/** Docker's exit code for a process killed by a signal: 128 + signal number. */
export function exitCodeFor(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal !== null) return 128 + signalNumber(signal);
  return 255;
}
