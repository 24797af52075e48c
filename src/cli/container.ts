// `weft run|ps|inspect|logs|stop|rm`: the docker CLI's container commands against weftd, with
// docker's request sequences (run: create → attach → wait → start, docker-api.md §3) and its
// output (ps columns, raw re-indented inspect JSON, demultiplexed logs).

import type { Duplex, Readable } from 'node:stream';
import { Command, Option } from 'commander';
import { DaemonError, type DockerClient } from './client.js';
import { actionRunner, collect, defaultOutput, errorLine, filtersJson, kvMap, UsageError, type CliOutput } from './common.js';
import {
  ellipsis, humanDuration, indentJson, jsonLookup, renderTemplate, tabwrite, truncateId, unescapeFormat,
} from './format.js';
import { demux } from './stdcopy.js';

/** A `ps` item, as far as the CLI reads it. */
interface ContainerSummary {
  readonly Id: string;
  readonly Names?: readonly string[];
  readonly Image?: string;
  readonly Command?: string;
  readonly Created?: number;
  readonly Status?: string;
  readonly State?: string;
  readonly Labels?: Record<string, string> | null;
  readonly SizeRw?: number;
  readonly SizeRootFs?: number;
}

const enc = (ref: string) => encodeURIComponent(ref);

// ---------------------------------------------------------------------------------------------
// run

interface RunOptions {
  detach?: boolean;
  rm?: boolean;
  name?: string;
  network: string[];
  networkAlias: string[];
  ip?: string;
  hostname?: string;
  env: string[];
  workdir?: string;
  entrypoint?: string;
  interactive?: boolean;
  tty?: boolean;
  user?: string;
  label: string[];
}

/** The create body as docker 28.2.2 builds it for these flags (trace 07), keys in its order. */
export function createBody(image: string, cmd: readonly string[], o: RunOptions): Record<string, unknown> {
  const attached = !o.detach;
  const [mode, ...others] = o.network;
  const endpoint = (aliases: readonly string[], ip: string | undefined) => ({
    IPAMConfig: ip ? { IPv4Address: ip } : null,
    Links: null,
    Aliases: aliases.length > 0 ? [...aliases] : null,
    MacAddress: '',
    DriverOpts: null,
  });
  const endpoints: Record<string, unknown> = {};
  // Per-endpoint flags make docker send an EndpointsConfig entry; plain --net X sends none.
  if (mode !== undefined && (o.networkAlias.length > 0 || o.ip)) endpoints[mode] = endpoint(o.networkAlias, o.ip);
  else if (mode === undefined && (o.networkAlias.length > 0 || o.ip)) endpoints.default = endpoint(o.networkAlias, o.ip);
  for (const other of others) endpoints[other] = endpoint([], undefined);
  return {
    Hostname: o.hostname ?? '',
    Domainname: '',
    User: o.user ?? '',
    AttachStdin: attached && (o.interactive ?? false),
    AttachStdout: attached,
    AttachStderr: attached,
    Tty: o.tty ?? false,
    OpenStdin: o.interactive ?? false,
    StdinOnce: attached && (o.interactive ?? false),
    Env: o.env.length > 0 ? [...o.env] : null,
    Cmd: cmd.length > 0 ? [...cmd] : null,
    Image: image,
    Volumes: {},
    WorkingDir: o.workdir ?? '',
    Entrypoint: o.entrypoint === undefined ? null : o.entrypoint === '' ? [] : [o.entrypoint],
    OnBuild: null,
    Labels: kvMap(o.label),
    HostConfig: {
      NetworkMode: mode ?? 'default',
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: o.rm ?? false,
    },
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
}

/** docker's exit codes for `run`: 125 when weft/the daemon failed, else the container's. */
class RunFailure extends Error {
  constructor(readonly reason: unknown, readonly code = 125) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

async function readJsonBody<T>(stream: Readable): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

/** docker's reference normalisation for the "Unable to find image" line: a tag defaults to latest. */
function withTag(image: string): string {
  return /:[\w][\w.-]*$/.test(image.slice(image.lastIndexOf('/') + 1)) ? image : `${image}:latest`;
}

async function createContainer(c: DockerClient, image: string, body: Record<string, unknown>, name: string | undefined, stderr: CliOutput['stderr']): Promise<string> {
  const create = () => c.json<{ Id: string; Warnings?: string[] | null }>('POST', '/containers/create', { query: { name }, body });
  let created;
  try {
    created = await create();
  } catch (err) {
    if (!(err instanceof DaemonError && err.status === 404)) throw err;
    // As docker does: a 404 at create means a missing image, so try to pull it, then retry.
    const ref = withTag(image);
    stderr.write(`Unable to find image '${ref}' locally\n`);
    const colon = ref.lastIndexOf(':');
    const pull = await c.open('POST', '/images/create', { query: { fromImage: ref.slice(0, colon), tag: ref.slice(colon + 1) } });
    pull.resume();
    await new Promise((r) => pull.on('end', r));
    created = await create();
  }
  for (const w of created.Warnings ?? []) stderr.write(`WARNING: ${w}\n`);
  return created.Id;
}

async function runContainer(c: DockerClient, image: string, cmd: string[], o: RunOptions, output: CliOutput): Promise<number> {
  const { stdout, stderr } = output;
  const id = await createContainer(c, image, createBody(image, cmd, o), o.name, stderr);

  let attachment: { socket: Duplex; head: Buffer } | undefined;
  if (!o.detach) {
    attachment = await c.hijack('POST', `/containers/${id}/attach`, {
      query: { stream: '1', stdout: '1', stderr: '1', ...(o.interactive ? { stdin: '1' } : {}) },
    });
  }
  // Registered before start, so not even an instant exit is missed (the daemon flushes headers).
  const wait = await c.open('POST', `/containers/${id}/wait`, { query: { condition: o.rm ? 'removed' : 'next-exit' } });
  const status = readJsonBody<{ StatusCode: number; Error?: { Message: string } | null }>(wait);
  status.catch(() => {});

  try {
    await c.call('POST', `/containers/${id}/start`);
  } catch (err) {
    attachment?.socket.destroy();
    // docker waits for an AutoRemove container's removal before reporting the start error.
    if (o.rm) await status.catch(() => {});
    else wait.destroy();
    throw new RunFailure(err);
  }

  if (!attachment) {
    wait.destroy();
    stdout.write(`${id}\n`);
    return 0;
  }

  const { socket, head } = attachment;
  const forward = (sig: NodeJS.Signals) => {
    void c.call('POST', `/containers/${id}/kill`, { query: { signal: sig.replace(/^SIG/, '') } }).catch(() => {});
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.on(s, forward);
  try {
    if (o.interactive) {
      process.stdin.on('data', (d: Buffer) => socket.write(d));
      process.stdin.once('end', () => socket.end());
    } else {
      socket.end(); // no stdin: half-close at once, as docker does
    }
    const out = { write: (d: Buffer) => stdout.write(d.toString('utf8')) };
    const err = { write: (d: Buffer) => stderr.write(d.toString('utf8')) };
    if (o.tty) {
      if (head.length > 0) out.write(head);
      for await (const chunk of socket) out.write(chunk as Buffer);
    } else {
      await demux(socket, out, err, head);
    }
  } finally {
    for (const s of signals) process.off(s, forward);
    if (o.interactive) process.stdin.destroy();
  }
  const result = await status.catch((err: unknown) => {
    throw new RunFailure(err);
  });
  if (result.Error?.Message) throw new RunFailure(new Error(`error waiting for container: ${result.Error.Message}`));
  return result.StatusCode;
}

export function runCommand(client: () => DockerClient, output: CliOutput = defaultOutput): Command {
  const cmd = new Command('run')
    .description('Create and run a new container from an image')
    .argument('<image>', 'image to run')
    .argument('[command...]', 'command and arguments')
    .helpOption('--help', 'display help for command')
    .passThroughOptions()
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('--name <name>', 'Assign a name to the container')
    .option('--net, --network <network>', 'Connect a container to a network', collect, [] as string[])
    .option('--network-alias <alias>', 'Add network-scoped alias for the container', collect, [] as string[])
    .option('--ip <address>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('-h, --hostname <name>', 'Container host name')
    .option('-e, --env <KEY=VALUE>', 'Set environment variables', collect, [] as string[])
    .option('-w, --workdir <dir>', 'Working directory inside the container')
    .option('--entrypoint <command>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <user>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('-l, --label <label>', 'Set meta data on a container', collect, [] as string[]);
  cmd.action(async (image: string, args: string[], opts: RunOptions) => {
    let c: DockerClient | undefined;
    try {
      c = client();
      output.setExitCode(await runContainer(c, image, args, opts, output));
    } catch (err) {
      const failure = err instanceof RunFailure ? err : new RunFailure(err);
      output.stderr.write(`weft: ${errorLine(failure.reason)}\n\nRun 'weft run --help' for more information\n`);
      output.setExitCode(failure.code);
    } finally {
      c?.close();
    }
  });
  return cmd;
}

// ---------------------------------------------------------------------------------------------
// ps

const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  Ports: 'PORTS',
  Names: 'NAMES',
  State: 'STATE',
  Size: 'SIZE',
  Labels: 'LABELS',
  Networks: 'NETWORKS',
};

function psFields(s: ContainerSummary, trunc: boolean, now: number): Record<string, string> {
  const command = s.Command ?? '';
  const image = s.Image ?? '';
  return {
    ID: trunc ? truncateId(s.Id) : s.Id,
    Image: trunc && image.startsWith('sha256:') ? truncateId(image) : image,
    Command: JSON.stringify(trunc ? ellipsis(command, 20) : command),
    CreatedAt: s.Created !== undefined ? new Date(s.Created * 1000).toISOString() : '',
    RunningFor: s.Created !== undefined ? `${humanDuration(now - s.Created * 1000)} ago` : '',
    Status: s.Status ?? '',
    Ports: '',
    Names: (s.Names ?? []).map((n) => n.replace(/^\//, '')).join(','),
    State: s.State ?? '',
    Size: s.SizeRw !== undefined ? `${s.SizeRw}B (virtual ${s.SizeRootFs ?? 0}B)` : '',
    Labels: Object.entries(s.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    Networks: '',
  };
}

export function psCommand(client: () => DockerClient, output: CliOutput = defaultOutput): Command {
  const withClient = actionRunner(client, output);
  return new Command('ps')
    .description('List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-q, --quiet', 'Only display container IDs')
    .option('-n, --last <n>', 'Show n last created containers (includes all states)')
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('-s, --size', 'Display total file sizes')
    .option('--no-trunc', "Don't truncate output")
    .option('--format <format>', 'Format output using a custom template')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [] as string[])
    .action((opts: { all?: boolean; quiet?: boolean; last?: string; latest?: boolean; size?: boolean; trunc: boolean; format?: string; filter: string[] }) =>
      withClient(async (c) => {
        const limit = opts.latest ? '1' : opts.last;
        const list = await c.json<ContainerSummary[]>('GET', '/containers/json', {
          query: { all: opts.all ? '1' : undefined, limit, size: opts.size ? '1' : undefined, filters: filtersJson(opts.filter) },
        });
        let source = opts.format ?? 'table';
        if (source === 'table') source = opts.quiet ? '{{.ID}}' : `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${opts.size ? '\t{{.Size}}' : ''}`;
        else if (source === 'json') source = '{{json .}}';
        const isTable = source.startsWith('table');
        const template = unescapeFormat(isTable ? source.slice('table'.length) : source);
        const now = Date.now();
        let text = isTable ? renderTemplate(template, (p) => (p.length === 1 ? (PS_HEADERS[p[0]!] ?? p[0]) : '')) + '\n' : '';
        for (const s of list) {
          const fields = psFields(s, opts.trunc, now);
          text += renderTemplate(template, (p) => {
            if (p.length === 0) return fields;
            if (!Object.hasOwn(fields, p[0]!)) throw new UsageError(`template: can't evaluate field ${p[0]} in type container`);
            return fields[p[0]!];
          }) + '\n';
        }
        output.stdout.write(isTable ? tabwrite(text) : text);
      }),
    );
}

// ---------------------------------------------------------------------------------------------
// inspect

const INSPECT_PATHS: Record<string, (ref: string) => string> = {
  container: (ref) => `/containers/${enc(ref)}/json`,
  image: (ref) => `/images/${ref}/json`,
  network: (ref) => `/networks/${enc(ref)}`,
};

export function inspectCommand(client: () => DockerClient, output: CliOutput = defaultOutput): Command {
  const withClient = actionRunner(client, output);
  return new Command('inspect')
    .description('Return low-level information on Weft objects')
    .argument('<name...>', 'containers, images or networks')
    .option('-f, --format <format>', 'Format output using a custom template')
    .addOption(new Option('--type <type>', 'Only inspect objects of the given type').choices(['container', 'image', 'network']))
    .action((refs: string[], opts: { format?: string; type?: string }) =>
      withClient(async (c) => {
        const kinds = opts.type ? [opts.type] : ['container', 'image', 'network'];
        const raws: string[] = [];
        const missing: string[] = [];
        for (const ref of refs) {
          let found: string | undefined;
          let lastError: unknown;
          // As docker's generic inspect: the first object type that knows the name wins.
          for (const kind of kinds) {
            try {
              found = (await c.call('GET', INSPECT_PATHS[kind]!(ref))).body.toString('utf8').trim();
              break;
            } catch (err) {
              if (!(err instanceof DaemonError && err.status === 404)) throw err;
              lastError = err;
            }
          }
          if (found !== undefined) raws.push(found);
          else missing.push(opts.type ? errorLine(lastError) : `Error: No such object: ${ref}`);
        }
        if (opts.format) {
          const format = opts.format === 'json' ? '{{json .}}' : unescapeFormat(opts.format);
          for (const raw of raws) output.stdout.write(renderTemplate(format, jsonLookup(JSON.parse(raw))) + '\n');
        } else {
          output.stdout.write((raws.length === 0 ? '[]' : indentJson(`[${raws.join(',')}]`)) + '\n');
        }
        if (missing.length > 0) {
          output.stderr.write(missing.join('\n') + '\n');
          output.setExitCode(1);
        }
      }),
    );
}

// ---------------------------------------------------------------------------------------------
// logs

export function logsCommand(client: () => DockerClient, output: CliOutput = defaultOutput): Command {
  const withClient = actionRunner(client, output);
  return new Command('logs')
    .description('Fetch the logs of a container')
    .argument('<container>', 'container name or id')
    .option('-f, --follow', 'Follow log output')
    .option('-t, --timestamps', 'Show timestamps')
    .option('-n, --tail <n>', 'Number of lines to show from the end of the logs', 'all')
    .option('--since <time>', 'Show logs since a timestamp (unix seconds or RFC3339)')
    .option('--until <time>', 'Show logs before a timestamp (unix seconds or RFC3339)')
    .action((ref: string, opts: { follow?: boolean; timestamps?: boolean; tail: string; since?: string; until?: string }) =>
      withClient(async (c) => {
        const info = await c.json<{ Id: string; Config?: { Tty?: boolean } }>('GET', `/containers/${enc(ref)}/json`);
        const toApiTime = (t: string | undefined) => (t === undefined ? undefined : /^\d+(\.\d+)?$/.test(t) ? t : String(Date.parse(t) / 1000));
        const res = await c.open('GET', `/containers/${info.Id}/logs`, {
          query: {
            stdout: '1',
            stderr: '1',
            follow: opts.follow ? '1' : undefined,
            timestamps: opts.timestamps ? '1' : undefined,
            tail: opts.tail,
            since: toApiTime(opts.since),
            until: toApiTime(opts.until),
          },
        });
        const out = { write: (d: Buffer) => output.stdout.write(d.toString('utf8')) };
        const err = { write: (d: Buffer) => output.stderr.write(d.toString('utf8')) };
        if (info.Config?.Tty) for await (const chunk of res) out.write(chunk as Buffer);
        else await demux(res, out, err);
      }),
    );
}

// ---------------------------------------------------------------------------------------------
// stop, rm

/** Runs `op` for each reference; prints the reference on success, docker's error otherwise. */
async function forEachRef(refs: readonly string[], output: CliOutput, op: (ref: string) => Promise<void>, ignore404 = false): Promise<void> {
  let failed = false;
  for (const ref of refs) {
    try {
      await op(ref);
      output.stdout.write(`${ref}\n`);
    } catch (err) {
      if (!(err instanceof DaemonError)) throw err;
      output.stderr.write(errorLine(err) + '\n');
      if (!(ignore404 && err.status === 404)) failed = true;
    }
  }
  if (failed) output.setExitCode(1);
}

export function stopCommand(client: () => DockerClient, output: CliOutput = defaultOutput): Command {
  const withClient = actionRunner(client, output);
  return new Command('stop')
    .description('Stop one or more running containers')
    .argument('<container...>', 'containers to stop')
    .option('-t, --timeout <seconds>', 'Seconds to wait before killing the container')
    .option('-s, --signal <signal>', 'Signal to send to the container')
    .action((refs: string[], opts: { timeout?: string; signal?: string }) =>
      withClient((c) =>
        forEachRef(refs, output, async (ref) => {
          // 304 (already stopped) is success, as for docker.
          await c.call('POST', `/containers/${enc(ref)}/stop`, { query: { signal: opts.signal, t: opts.timeout } });
        }),
      ),
    );
}

export function rmCommand(client: () => DockerClient, output: CliOutput = defaultOutput): Command {
  const withClient = actionRunner(client, output);
  return new Command('rm')
    .description('Remove one or more containers')
    .argument('<container...>', 'containers to remove')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .action((refs: string[], opts: { force?: boolean; volumes?: boolean }) =>
      withClient((c) =>
        forEachRef(
          refs,
          output,
          async (ref) => {
            await c.call('DELETE', `/containers/${enc(ref)}`, { query: { force: opts.force ? '1' : undefined, v: opts.volumes ? '1' : undefined } });
          },
          opts.force,
        ),
      ),
    );
}
