// Runs once a new machine's weftd answers, before `machine create` returns: every lab machine
// starts with `busybox:latest`, imported through the Docker API exactly as `docker import` does
// (POST /images/create?fromSrc=-&repo=busybox:latest, the tarball as a chunked body). The tarball
// is built once per lab from the host's static busybox. A throw here rolls the whole create back.
import { createReadStream } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BUSYBOX_CHANGES, buildBusyboxTarball } from '../runtime/busybox.js';
import { labStateDir, type LabConfig } from './naming.js';
import type { MachineInfo } from './machines.js';

const IMAGE = 'busybox:latest';

interface Reply {
  readonly status: number;
  readonly body: string;
}

function call(socketPath: string, method: string, urlPath: string, body?: () => NodeJS.ReadableStream): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, headers: { Host: 'api.moby.localhost', ...(body ? { 'Content-Type': 'text/plain' } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) pipeline(body(), req).catch(reject);
    else req.end();
  });
}

const messageOf = (r: Reply) => {
  try {
    return (JSON.parse(r.body) as { message?: string }).message ?? r.body.trim();
  } catch {
    return r.body.trim();
  }
};

export async function afterCreate(lab: LabConfig, machine: MachineInfo): Promise<void> {
  const have = await call(machine.socketPath, 'GET', `/images/${IMAGE}/json`);
  if (have.status === 200) return;
  if (have.status === 404 && messageOf(have) === 'page not found') {
    // A daemon without the image API (the lab's test stand-in): nothing to import into.
    lab.log(`Machine "${machine.name}": its daemon has no image API; busybox not imported`);
    return;
  }
  if (have.status !== 404) throw new Error(`machine "${machine.name}": checking for ${IMAGE}: ${have.status} ${messageOf(have)}`);

  const tarball = await buildBusyboxTarball(path.join(labStateDir(lab), 'busybox.tar'));
  const query = new URLSearchParams({ fromSrc: '-', repo: IMAGE });
  for (const change of BUSYBOX_CHANGES) query.append('changes', change);
  const r = await call(machine.socketPath, 'POST', `/images/create?${query}`, () => createReadStream(tarball));
  if (r.status !== 200) throw new Error(`machine "${machine.name}": importing ${IMAGE} failed: ${r.status} ${messageOf(r)}`);
  // Errors after the stream started come as {"error": …} lines in the 200 answer.
  const failed = /"error"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(r.body);
  if (failed) throw new Error(`machine "${machine.name}": importing ${IMAGE} failed: ${JSON.parse(`"${failed[1]}"`) as string}`);
  lab.log(`Machine "${machine.name}": imported ${IMAGE}`);
}
