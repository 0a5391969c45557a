/** Async iteration over the API's paged listings (cursor for sessions, `after_seq` for history). */

/** Yields page after page: `fetchPage(position)` then `next(page)` gives the next position, or null at the end. */
export async function* walkPages<P, C>(
  start: C,
  fetchPage: (position: C) => Promise<P>,
  next: (page: P) => C | null,
): AsyncGenerator<P, void, undefined> {
  let position = start;
  for (;;) {
    const page = await fetchPage(position);
    yield page;
    const following = next(page);
    if (following === null) return;
    position = following;
  }
}

/** Flattens pages into their items. */
export async function* flatten<P, T>(pages: AsyncIterable<P>, items: (page: P) => readonly T[]): AsyncGenerator<T, void, undefined> {
  for await (const page of pages) yield* items(page);
}
