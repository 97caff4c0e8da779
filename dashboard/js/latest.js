// Late answers: a view shows the answer to its newest request only. A request the user has
// moved on from is aborted (its fetch stops), and an answer that arrives anyway is dropped.

/** True for the rejection of a request its view aborted. */
export function isAbort(error) {
  return error?.name === 'AbortError';
}

/**
 * One per thing a view loads: `run(request, apply)` aborts the previous run, calls
 * `request(signal)` and hands its answer to `apply` unless a newer run (or `cancel`) came
 * first. Resolves true when applied, false when dropped; a failure of the newest run rejects.
 */
export function latest() {
  let controller = null;
  return {
    async run(request, apply) {
      controller?.abort();
      const mine = new AbortController();
      controller = mine;
      try {
        const answer = await request(mine.signal);
        if (mine.signal.aborted) return false;
        apply(answer);
        return true;
      } catch (error) {
        if (mine.signal.aborted || isAbort(error)) return false;
        throw error;
      }
    },
    /** Drop whatever is on its way (the view is being left). */
    cancel() {
      controller?.abort();
      controller = null;
    },
  };
}
