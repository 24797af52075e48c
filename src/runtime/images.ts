// Images are root filesystems unpacked from imported tarballs (`docker import`). No registry is
// reachable, so there is no pull.
//
// Layout under <dataRoot>/images:
//   layers/<hex>/        the unpacked root filesystem, named by the sha256 of the archive bytes,
//                        so importing the same bytes twice unpacks once; never written after.
//   meta/<hex>.json      one image: config, comment, created, size, layer (id = sha256 of
//                        {layer, config, comment}, so an identical import is the same image)
//   repositories.json    tags: {"busybox:latest": "sha256:…"}
//   tmp/                 uploads and unpacking in progress (emptied at init)

import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { conflict, invalid, notFound } from '../errors.js';
import { extractArchive } from './archive.js';
import { assertMountSafePath, directorySize, isErrno, readJsonIfExists, writeFileAtomic } from './fs-util.js';
import { applyChanges, EMPTY_IMAGE_CONFIG, type ImageConfig } from './image-config.js';
import { asFullImageId, asIdPrefix, parseImageRef, requireImageRef } from './image-ref.js';
import { KeyedMutex } from './sync.js';

export interface ImageRecord {
  /** `sha256:<64hex>` */
  readonly id: string;
  /** Familiar `name:tag` strings; empty for an untagged (dangling) image. */
  readonly repoTags: readonly string[];
  /** RFC3339 */
  readonly created: string;
  /** `docker import --message` */
  readonly comment: string;
  /** Bytes of the unpacked files. */
  readonly size: number;
  readonly config: ImageConfig;
  /** `sha256:<64hex>` of the archive bytes (RootFS.Layers in inspect). */
  readonly layer: string;
  /** Absolute directory of the unpacked root filesystem (read-only lower layer of containers). */
  readonly rootfs: string;
}

export interface ImportOptions {
  /** `name[:tag]`, default tag `latest`; absent leaves the image untagged. */
  readonly repo?: string;
  /** Dockerfile instructions: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, VOLUME, STOPSIGNAL, ONBUILD. */
  readonly changes?: readonly string[];
  readonly message?: string;
}

/** One entry of `DELETE /images/{name}`'s answer. */
export type ImageDeleteItem = { readonly Untagged: string } | { readonly Deleted: string };

/** Who uses an image; supplied by the container manager so images in use are not deleted. */
export type ImageUsers = (imageId: string) => ReadonlyArray<{ readonly id: string; readonly running: boolean }>;

interface StoredImage {
  readonly id: string;
  readonly created: string;
  readonly comment: string;
  readonly size: number;
  readonly config: ImageConfig;
  readonly layer: string;
}

const hexOf = (id: string) => id.replace(/^sha256:/, '');
const short = (id: string) => hexOf(id).slice(0, 12);

export class ImageStore {
  readonly root: string;
  private readonly images = new Map<string, StoredImage>();
  private tags = new Map<string, string>();
  private readonly lock = new KeyedMutex();
  private users: ImageUsers = () => [];
  private initialized = false;

  constructor(dataRoot: string) {
    this.root = join(dataRoot, 'images');
    assertMountSafePath(this.root);
  }

  private get layersDir() { return join(this.root, 'layers'); }
  private get metaDir() { return join(this.root, 'meta'); }
  private get tmpDir() { return join(this.root, 'tmp'); }
  private get reposFile() { return join(this.root, 'repositories.json'); }

  async init(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
    for (const dir of [this.layersDir, this.metaDir, this.tmpDir]) await mkdir(dir, { recursive: true });
    for (const file of await readdir(this.metaDir)) {
      if (!file.endsWith('.json')) continue;
      const image = await readJsonIfExists<StoredImage>(join(this.metaDir, file), (p) => readFile(p, 'utf8'));
      if (image) this.images.set(image.id, image);
    }
    const repos = await readJsonIfExists<Record<string, string>>(this.reposFile, (p) => readFile(p, 'utf8')) ?? {};
    this.tags = new Map(Object.entries(repos).filter(([, id]) => this.images.has(id)));
    this.initialized = true;
  }

  /** Lets the container manager report which containers use an image. */
  setUsers(users: ImageUsers): void {
    this.users = users;
  }

  async import(body: Readable, opts: ImportOptions = {}): Promise<ImageRecord> {
    this.assertInitialized();
    const ref = opts.repo ? requireImageRef(opts.repo) : undefined;
    const config = applyChanges(EMPTY_IMAGE_CONFIG, opts.changes ?? []);
    const upload = join(this.tmpDir, `upload-${randomBytes(6).toString('hex')}`);
    try {
      const hash = createHash('sha256');
      let bytes = 0;
      const hasher = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(body, hasher, createWriteStream(upload));
      if (bytes === 0) throw invalid('the archive is empty');
      const layer = `sha256:${hash.digest('hex')}`;
      await this.unpackLayer(upload, hexOf(layer));
      const comment = opts.message ?? '';
      const id = `sha256:${createHash('sha256').update(JSON.stringify({ layer, config, comment })).digest('hex')}`;
      return await this.lock.run('images', async () => {
        if (!this.images.has(id)) {
          const image: StoredImage = {
            id,
            created: new Date().toISOString(),
            comment,
            size: await directorySize(this.layerPath(layer)),
            config,
            layer,
          };
          await writeFileAtomic(join(this.metaDir, `${hexOf(id)}.json`), JSON.stringify(image, null, 2));
          this.images.set(id, image);
        }
        if (ref) {
          this.tags.set(ref.familiar, id);
          await this.saveTags();
        }
        return this.toRecord(this.images.get(id)!);
      });
    } finally {
      await rm(upload, { force: true });
    }
  }

  list(): ImageRecord[] {
    this.assertInitialized();
    return [...this.images.values()]
      .map((i) => this.toRecord(i))
      .sort((a, b) => b.created.localeCompare(a.created));
  }

  /** Resolves a full id, a tag (Docker-normalised), then a unique id prefix; 404 otherwise. */
  get(ref: string): ImageRecord {
    this.assertInitialized();
    return this.toRecord(this.resolve(ref));
  }

  /** `docker tag`: points `target` (name[:tag]) at the image `ref` resolves to. */
  async tag(ref: string, target: string): Promise<void> {
    const image = this.resolve(ref);
    const parsed = requireImageRef(target);
    await this.lock.run('images', async () => {
      this.tags.set(parsed.familiar, image.id);
      await this.saveTags();
    });
  }

  /**
   * `docker rmi`: removing a tag of an image with several tags only untags it. Images used by
   * containers are kept: 409 for a running user; a stopped user needs `force`, which then only
   * untags (the image stays as `<none>` until its containers are gone).
   */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<ImageDeleteItem[]> {
    this.assertInitialized();
    return this.lock.run('images', async () => {
      const image = this.resolve(ref);
      const tagged = this.tagsOf(image.id);
      const byTag = parseImageRef(ref);
      const refIsTag = byTag !== null && this.tags.get(byTag.familiar) === image.id;
      const result: ImageDeleteItem[] = [];
      const users = this.users(image.id);

      if (refIsTag && tagged.length > 1) {
        this.tags.delete(byTag.familiar);
        await this.saveTags();
        return [{ Untagged: byTag.familiar }];
      }
      const running = users.find((u) => u.running);
      if (running) {
        throw conflict(refIsTag
          ? `conflict: unable to remove repository reference "${ref}" (must force) - container ${short(running.id)} is using its referenced image ${short(image.id)}`
          : `conflict: unable to delete ${short(image.id)} (cannot be forced) - image is being used by running container ${short(running.id)}`);
      }
      if (!opts.force) {
        if (!refIsTag && tagged.length > 1) {
          throw conflict(`conflict: unable to delete ${short(image.id)} (must be forced) - image is referenced in multiple repositories`);
        }
        if (users.length > 0) {
          throw conflict(refIsTag
            ? `conflict: unable to remove repository reference "${ref}" (must force) - container ${short(users[0].id)} is using its referenced image ${short(image.id)}`
            : `conflict: unable to delete ${short(image.id)} (must be forced) - image is being used by stopped container ${short(users[0].id)}`);
        }
      }
      for (const t of tagged) {
        this.tags.delete(t);
        result.push({ Untagged: t });
      }
      if (tagged.length > 0) await this.saveTags();
      if (users.length > 0) return result;

      this.images.delete(image.id);
      await rm(join(this.metaDir, `${hexOf(image.id)}.json`), { force: true });
      if (![...this.images.values()].some((i) => i.layer === image.layer)) {
        await rm(this.layerPath(image.layer), { recursive: true, force: true });
      }
      result.push({ Deleted: image.id });
      return result;
    });
  }

  private resolve(ref: string): StoredImage {
    const full = asFullImageId(ref);
    if (full) {
      const image = this.images.get(full);
      if (image) return image;
    }
    const parsed = parseImageRef(ref);
    if (parsed) {
      const id = this.tags.get(parsed.familiar);
      if (id) return this.images.get(id)!;
    }
    const prefix = asIdPrefix(ref);
    if (prefix) {
      const matches = [...this.images.keys()].filter((id) => hexOf(id).startsWith(prefix));
      if (matches.length === 1) return this.images.get(matches[0])!;
    }
    throw notFound(`No such image: ${parsed?.familiar ?? ref}`);
  }

  private async unpackLayer(archive: string, hex: string): Promise<void> {
    const dest = join(this.layersDir, hex);
    if (await exists(dest)) return;
    const staging = join(this.tmpDir, `unpack-${hex}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging);
    try {
      await extractArchive(archive, staging);
      await rename(staging, dest);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      // Another import of the same bytes won the race: its layer is identical.
      if (isErrno(err, 'ENOTEMPTY', 'EEXIST') && await exists(dest)) return;
      throw err;
    }
  }

  private layerPath(layer: string): string {
    return join(this.layersDir, hexOf(layer));
  }

  private tagsOf(id: string): string[] {
    return [...this.tags].filter(([, v]) => v === id).map(([k]) => k).sort();
  }

  private async saveTags(): Promise<void> {
    await writeFileAtomic(this.reposFile, JSON.stringify(Object.fromEntries(this.tags), null, 2));
  }

  private toRecord(image: StoredImage): ImageRecord {
    return { ...image, repoTags: this.tagsOf(image.id), rootfs: this.layerPath(image.layer) };
  }

  private assertInitialized(): void {
    if (!this.initialized) throw new Error('ImageStore.init() must be awaited before use');
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}
