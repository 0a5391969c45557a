// ArchiveUploads: the order of one runner's archive uploads, and what the blob holds. A turn's
// checkpoint is packed and uploaded while the next turn already runs (workspace-archive.ts), so a
// second archive can be packed before the first is stored. Uploads to
// the signed URLs run one at a time, in the order they were packed: an earlier archive finishing
// late would otherwise overwrite a later one in the blob (while the platform records the later
// one's size). An archive of the very trees the newest upload carries, to the same place, is not
// packed or uploaded again: its outcome is that upload's (a session that sleeps right after its
// turn's checkpoint costs nothing).

/** An archive: where it goes (the signed URL's path, which names the blob) and the fingerprint of the trees it holds. */
export type ArchiveCopy = { place: string; fingerprint: string };

export class ArchiveUploads {
  /** The end of the chain of uploads; each starts when the one before has settled. */
  #tail: Promise<unknown> = Promise.resolve();
  /**
   * What the blob holds, or will once the uploads queued have run: the newest upload and its
   * size. Null when unknown (none made by this runner yet, or the newest failed, which may have
   * left either the one before or nothing usable): the next archive uploads.
   */
  #stored: (ArchiveCopy & { size: Promise<number> }) | null = null;

  /** The size of an upload (done or queued) of these very trees to this place; null when there is none. */
  same(copy: ArchiveCopy): Promise<number> | null {
    const stored = this.#stored;
    return stored && stored.place === copy.place && stored.fingerprint === copy.fingerprint ? stored.size : null;
  }

  /** Queues `upload` after every upload queued before it; resolves to its size once it has run. */
  enqueue(copy: ArchiveCopy, upload: () => Promise<number>): Promise<number> {
    const size = this.#tail.then(upload, upload);
    const entry = { ...copy, size };
    this.#stored = entry;
    this.#tail = size.catch(() => {
      if (this.#stored === entry) this.#stored = null;
    });
    return size;
  }
}
