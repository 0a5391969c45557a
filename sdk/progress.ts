/** Byte counting for transfers, so uploads and downloads can report progress while they stream. */

/** How far a transfer is. */
export interface TransferProgress {
  /** Bytes moved so far. */
  loaded: number;
  /** Bytes in all (null when unknown). */
  total: number | null;
}

/** Called as bytes move. */
export type ProgressListener = (progress: TransferProgress) => void;

/** Passes `stream` through unchanged, calling `onProgress` after each chunk (and once at the end). */
export function countBytes(
  stream: ReadableStream<Uint8Array>,
  total: number | null,
  onProgress: ProgressListener,
): ReadableStream<Uint8Array> {
  let loaded = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        loaded += chunk.byteLength;
        controller.enqueue(chunk);
        onProgress({ loaded, total });
      },
      flush() {
        if (loaded === 0) onProgress({ loaded, total });
      },
    }),
  );
}
