/**
 * An AbortController that also aborts when `parent` does, with an optional deadline. Unlike
 * AbortSignal.any / AbortSignal.timeout, dispose() detaches it from the parent and clears the timer, so a
 * run-long parent signal does not collect one dependant per request.
 */
export interface LinkedAbort {
  readonly signal: AbortSignal;
  /** True once the deadline passed (and not the parent's abort). */
  readonly timedOut: boolean;
  abort(reason?: unknown): void;
  dispose(): void;
}

export function linkedAbort(parent: AbortSignal | undefined, timeoutMs?: number): LinkedAbort {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    abort: (reason?: unknown) => controller.abort(reason),
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
