// Starting a machine's weftd inside its namespaces, and asking it whether it is up.
//
// weftd runs under `nsenter --net=<machine netns> --uts=<machine UTS file>`, never `ip netns
// exec`: that gives the process a private mount namespace and remounts /sys, and the namespaces
// weftd then creates with `ip netns add` would be invisible from the machine's mount namespace.
// nsenter without --fork execs in place, so the PID we spawn is weftd's own.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  lanNetns,
  machineDataRoot,
  machineExecRoot,
  machineLog,
  machineNetns,
  machineNetnsPrefix,
  dockerHost,
  netnsPath,
  socketPath,
  utsFile,
  type LabConfig,
} from './naming.js';
import { isRunning, processRef, type ProcessRef } from './processes.js';
import type { MachineRecord } from './state.js';

/** The repository root: found from this module's location, never from the cwd. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && fs.existsSync(path.join(dir, 'bin', 'weftd'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no repository root (package.json + bin/weftd) above ${import.meta.url}`);
    dir = up;
  }
}

export const defaultWeftdCommand = (): string[] => [process.execPath, path.join(repoRoot(), 'bin', 'weftd')];

/** weftd's flags: the lab's own first, then the machine's engine options (dockerd's names). */
export function weftdArgs(lab: LabConfig, m: MachineRecord): string[] {
  return [
    '-H', dockerHost(lab, m.name),
    '--data-root', machineDataRoot(lab, m.name),
    '--exec-root', machineExecRoot(lab, m.name),
    '--netns-prefix', machineNetnsPrefix(lab, m.name),
    '--hostname', m.name,
    ...m.engineOpts.flatMap(([key, value]) => [`--${key}`, value]),
  ];
}

/** argv that runs `argv` in a machine's network and UTS namespaces. */
export const inMachine = (lab: LabConfig, host: string, argv: readonly string[]): string[] => [
  'nsenter',
  `--net=${netnsPath(machineNetns(lab, host))}`,
  `--uts=${utsFile(lab, host)}`,
  '--',
  ...argv,
];

/** argv that runs `argv` in the lab LAN's namespace (a store or resolver for the lab: 198.18.0.1). */
export const inLan = (lab: LabConfig, argv: readonly string[]): string[] => [
  'nsenter',
  `--net=${netnsPath(lanNetns(lab))}`,
  '--',
  ...argv,
];

/** GET /_ping over the unix socket: true when weftd answers OK. */
export function ping(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'OK'));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export function logTail(file: string, lines = 30): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch {
    return '(no log)';
  }
}

/**
 * Launch weftd detached (own session, stdin /dev/null, stdout+stderr appended to its log) and
 * wait until it answers /_ping. On failure it is stopped again and the error carries the tail
 * of its log.
 */
export async function launchWeftd(lab: LabConfig, m: MachineRecord): Promise<ProcessRef> {
  const socket = socketPath(lab, m.name);
  const log = machineLog(lab, m.name);
  fs.mkdirSync(machineDataRoot(lab, m.name), { recursive: true });
  fs.mkdirSync(machineExecRoot(lab, m.name), { recursive: true });
  fs.rmSync(socket, { force: true }); // a stale socket from a dead weftd would answer nothing
  const argv = inMachine(lab, m.name, [...lab.weftd, ...weftdArgs(lab, m)]);
  const out = fs.openSync(log, 'a');
  fs.writeSync(out, `--- ${new Date().toISOString()} ${argv.join(' ')}\n`);
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, out], cwd: '/' });
  fs.closeSync(out);
  const exit = new Promise<string>((resolve) => {
    child.once('exit', (code, sig) => resolve(sig ? `was killed by ${sig}` : `exited with code ${code}`));
    child.once('error', (err) => resolve(`could not be started: ${err.message}`));
  });
  let exited: string | undefined;
  void exit.then((why) => (exited = why));
  child.unref();
  const ref = child.pid !== undefined ? processRef(child.pid) : undefined;

  const deadline = Date.now() + lab.startTimeoutMs;
  while (exited === undefined && ref !== undefined && isRunning(ref) && Date.now() < deadline) {
    if (await ping(socket)) return ref;
    await sleep(50);
  }
  const timedOut = exited === undefined && ref !== undefined && isRunning(ref);
  if (timedOut) child.kill('SIGKILL');
  // It died: give its exit status a moment to arrive, for the message.
  else exited ??= await Promise.race([exit, sleep(1000).then(() => undefined)]);
  const why = timedOut ? `did not answer GET /_ping on ${socket} within ${lab.startTimeoutMs} ms` : (exited ?? 'exited');
  throw new Error(`weftd of machine "${m.name}" ${why}; last lines of ${log}:\n${logTail(log)}`);
}
