/**
 * Typed listeners for the client's events, without Node's EventEmitter (the client runs in
 * browsers). A listener that throws cannot break the caller's loop: its error is rethrown
 * asynchronously, where the page or process reports it.
 */

/** Stored untyped; `on` and `emit` keep each event's arguments typed. */
type Listener = (...args: any[]) => void;

export class Listeners<Events extends { [E in keyof Events]: unknown[] }> {
  private readonly byEvent = new Map<keyof Events, Set<Listener>>();

  /** Adds `listener`; the returned function removes it. */
  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => void): () => void {
    let set = this.byEvent.get(event);
    if (!set) this.byEvent.set(event, (set = new Set()));
    const stored = listener as Listener;
    set.add(stored);
    const listeners = set;
    return () => listeners.delete(stored);
  }

  emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    for (const listener of [...(this.byEvent.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
