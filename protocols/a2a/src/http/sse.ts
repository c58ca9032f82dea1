/**
 * Server-Sent Events from an async iterator: the first item is awaited before the response starts (so an error
 * before any event is answered as a plain error), later errors become an `error` event, and a caller that goes away
 * aborts the iterator's work.
 */
import { formatSSEErrorEvent, formatSSEEvent, SSE_HEADERS } from "@a2a-js/sdk";

export interface SseSource<T> {
  iterator: AsyncIterator<T, void, undefined>;
  /** Aborted when the caller disconnects. */
  abort: AbortController;
  toData: (item: T) => unknown;
  toError: (err: unknown) => unknown;
  onError?: (err: unknown) => void;
}

/** `first` is the iterator's first result, awaited by the caller before it chose to answer with a stream. */
export function sseResponse<T>(
  first: IteratorResult<T, void>,
  s: SseSource<T>,
  headers: Record<string, string> = {},
): Response {
  const encoder = new TextEncoder();
  let finished = first.done === true;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (!first.done) controller.enqueue(encoder.encode(formatSSEEvent(s.toData(first.value))));
      if (finished) controller.close();
    },
    async pull(controller) {
      try {
        const next = await s.iterator.next();
        if (next.done) {
          finished = true;
          controller.close();
        } else controller.enqueue(encoder.encode(formatSSEEvent(s.toData(next.value))));
      } catch (err) {
        s.onError?.(err);
        finished = true;
        controller.enqueue(encoder.encode(formatSSEErrorEvent(s.toError(err))));
        controller.close();
      }
    },
    async cancel() {
      s.abort.abort();
      if (!finished) await s.iterator.return?.().catch(() => undefined);
    },
  });
  return new Response(stream, { status: 200, headers: { ...SSE_HEADERS, ...headers } });
}
