// The API's ImagesBackend over the runtime's ImageStore.
import type { ImagesBackend } from '../../api/backend.js';
import type { ImageStore } from '../../runtime/images.js';

export function imagesBackend(images: ImageStore): ImagesBackend {
  return {
    import: (archive, opts) => images.import(archive, opts),
    list: async () => images.list(),
    get: async (ref) => images.get(ref),
    remove: (ref, opts) => images.remove(ref, opts),
  } satisfies ImagesBackend;
}
