import type { Observable } from 'rxjs';

/**
 * An Observable as an async iterable, for `for await` loops: values queue until read; the
 * source's error is thrown from the loop; leaving the loop early (`break`, `return`, a throw)
 * unsubscribes, which for `run$` cancels the job.
 */
export async function* eachValue<T>(source$: Observable<T>): AsyncGenerator<T> {
  const queue: T[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const sub = source$.subscribe({
    next: (v) => {
      queue.push(v);
      notify();
    },
    error: (error: unknown) => {
      failure = { error };
      notify();
    },
    complete: () => {
      finished = true;
      notify();
    },
  });
  try {
    for (;;) {
      if (queue.length > 0) yield queue.shift()!;
      else if (failure) throw failure.error;
      else if (finished) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    sub.unsubscribe();
  }
}
