// `weft image import|ls`: docker's image commands against weftd. Images are root filesystem
// tarballs (plain or compressed) imported as `docker import` does; there is no registry.

import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Command } from 'commander';
import type { DockerClient } from './client.js';
import { actionRunner, collect, defaultOutput, filtersJson, UsageError, type CliOutput } from './common.js';
import { humanDuration, humanSize, renderTemplate, tabwrite, truncateId, unescapeFormat } from './format.js';

/** An `image ls` item, as far as the CLI reads it. */
interface ImageSummary {
  readonly Id: string;
  readonly RepoTags?: readonly string[] | null;
  readonly Created?: number;
  readonly Size?: number;
}

const LS_HEADERS: Record<string, string> = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  ID: 'IMAGE ID',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Digest: 'DIGEST',
};

/** One row per tag; an untagged image is `<none>:<none>`, as docker shows it. */
function rows(i: ImageSummary, trunc: boolean, now: number): Record<string, string>[] {
  const tags = i.RepoTags && i.RepoTags.length > 0 ? i.RepoTags : ['<none>:<none>'];
  return tags.map((tag) => {
    const colon = tag.lastIndexOf(':');
    return {
      Repository: tag.slice(0, colon),
      Tag: tag.slice(colon + 1),
      ID: trunc ? truncateId(i.Id) : i.Id,
      CreatedSince: i.Created !== undefined ? `${humanDuration(now - i.Created * 1000)} ago` : '',
      CreatedAt: i.Created !== undefined ? new Date(i.Created * 1000).toISOString() : '',
      Size: humanSize(i.Size ?? 0),
      Digest: '<none>',
    };
  });
}

/** The daemon's JSON-message stream (import, pull): `status` lines to stdout, an `error` fails. */
async function printMessages(stream: Readable, output: CliOutput): Promise<void> {
  let text = '';
  for await (const chunk of stream) text += (chunk as Buffer).toString('utf8');
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const m = JSON.parse(line) as { status?: string; error?: string; errorDetail?: { message?: string } };
    if (m.error || m.errorDetail) throw new UsageError(m.errorDetail?.message ?? m.error ?? 'unknown error');
    if (m.status) output.stdout.write(`${m.status}\n`);
  }
}

export function imageCommand(client: () => DockerClient, output: CliOutput = defaultOutput): Command {
  const withClient = actionRunner(client, output);
  const image = new Command('image').description('Manage images');

  image
    .command('import')
    .description('Import the contents from a tarball to create a filesystem image')
    .argument('<file>', 'a tarball (plain, gzip, bzip2, xz or zstd), or - for stdin')
    .argument('[repository]', 'REPOSITORY[:TAG]')
    .option('-c, --change <instruction>', 'Apply Dockerfile instruction to the created image', collect, [] as string[])
    .option('-m, --message <message>', 'Set commit message for imported image')
    .action((file: string, repository: string | undefined, opts: { change: string[]; message?: string }) =>
      withClient(async (c) => {
        const upload = file === '-' ? process.stdin : createReadStream(file);
        // Fail on a missing file before anything is sent.
        if (file !== '-') await new Promise<void>((resolve, reject) => (upload as ReturnType<typeof createReadStream>).once('open', () => resolve()).once('error', reject));
        const res = await c.open('POST', '/images/create', {
          query: { fromSrc: '-', repo: repository, changes: opts.change, message: opts.message },
          upload,
        });
        await printMessages(res, output);
      }),
    );

  image
    .command('ls')
    .alias('list')
    .description('List images')
    .option('-a, --all', 'Show all images')
    .option('-q, --quiet', 'Only show image IDs')
    .option('--no-trunc', "Don't truncate output")
    .option('--format <format>', 'Format output using a custom template')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [] as string[])
    .action((opts: { all?: boolean; quiet?: boolean; trunc: boolean; format?: string; filter: string[] }) =>
      withClient(async (c) => {
        const list = await c.json<ImageSummary[]>('GET', '/images/json', { query: { all: opts.all ? '1' : undefined, filters: filtersJson(opts.filter) } });
        let source = opts.format ?? 'table';
        if (source === 'table') source = opts.quiet ? '{{.ID}}' : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
        else if (source === 'json') source = '{{json .}}';
        const isTable = source.startsWith('table');
        const template = unescapeFormat(isTable ? source.slice('table'.length) : source);
        const now = Date.now();
        let text = isTable ? renderTemplate(template, (p) => (p.length === 1 ? (LS_HEADERS[p[0]!] ?? p[0]) : '')) + '\n' : '';
        const seen = new Set<string>();
        for (const i of list) {
          for (const fields of rows(i, opts.trunc, now)) {
            // -q prints each image once, whatever its tags.
            if (opts.quiet && !opts.format) {
              if (seen.has(i.Id)) continue;
              seen.add(i.Id);
            }
            text += renderTemplate(template, (p) => {
              if (p.length === 0) return fields;
              if (!Object.hasOwn(fields, p[0]!)) throw new UsageError(`template: can't evaluate field ${p[0]} in type image`);
              return fields[p[0]!];
            }) + '\n';
          }
        }
        output.stdout.write(isTable ? tabwrite(text) : text);
      }),
    );

  return image;
}
