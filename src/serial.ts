/**
 * Runs asynchronous operations one after another, in the order they were asked for; one that
 * fails does not stop the ones after it (its caller gets the failure).
 * @internal
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.tail.then(operation, operation);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
