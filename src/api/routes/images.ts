// /images routes. Images come only from `docker import` (POST /images/create?fromSrc=-): Weft
// reaches no registry, so a pull (fromImage) fails at once and says how to get an image instead.

import { invalid, isWeftError, notImplemented } from '../../errors.js';
import { parseImageRef } from '../../runtime/image-ref.js';
import type { ImageRecord, ImagesBackend } from '../backend.js';
import { parseFilters } from '../filters.js';
import { filterImages } from '../image-filters.js';
import { boolQuery, sendJson } from '../http.js';
import { route, type Route } from '../router.js';
import { imageSummary, imageToDocker } from '../views/image.js';

/** What `docker pull` / `docker run` of a missing image shows (after "Unable to find image … locally"). */
export function pullRefusal(fromImage: string, tag: string | null): string {
  const ref = parseImageRef(tag ? `${fromImage}:${tag}` : fromImage)?.familiar ?? fromImage;
  return (
    `pull access denied for ${ref}: Weft cannot pull images (it reaches no registry). ` +
    `Images come from "docker import": docker import rootfs.tar ${ref}`
  );
}

export function imageRoutes(images: ImagesBackend): Route[] {
  return [
    route('POST', '/images/create', async ({ req, res, query }) => {
      const fromImage = query.get('fromImage');
      const fromSrc = query.get('fromSrc');
      if (fromImage) throw notImplemented(pullRefusal(fromImage, query.get('tag')));
      if (fromSrc === null || fromSrc === '') throw invalid('either fromImage or fromSrc must be given');
      if (fromSrc !== '-') throw notImplemented('importing from a URL is not supported by Weft: download the archive and docker import the file');
      const repo = query.get('repo') ?? '';
      const tag = query.get('tag') ?? '';
      const image = await images.import(req, {
        ...(repo ? { repo: tag ? `${repo}:${tag}` : repo } : {}),
        changes: query.getAll('changes'),
        ...(query.has('message') ? { message: query.get('message')! } : {}),
      });
      // moby's streamformatter: one JSON message per line, CRLF-terminated; the CLI prints `status`.
      const body = JSON.stringify({ status: image.id }) + '\r\n';
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    }),
    route('GET', '/images/json', async ({ res, query }) => {
      const args = parseFilters(query.get('filters'));
      const refs = [...(args.get('before') ?? []), ...(args.get('since') ?? [])];
      const known = new Map<string, ImageRecord>();
      for (const ref of refs) {
        try {
          known.set(ref, await images.get(ref));
        } catch (err) {
          if (!isWeftError(err, 'not-found')) throw err;
        }
      }
      const listed = filterImages(await images.list(), args, (ref) => known.get(ref));
      sendJson(res, 200, listed.map(imageSummary));
    }),
    route('GET', '/images/{name*}/json', async ({ res, params }) => {
      sendJson(res, 200, imageToDocker(await images.get(params.name!)));
    }),
    route('DELETE', '/images/{name*}', async ({ res, params, query }) => {
      sendJson(res, 200, await images.remove(params.name!, { force: boolQuery(query, 'force') }));
    }),
  ];
}
