/**
 * The `EventEmitter` a `Connection` and a `Pool` are, in every runtime: Node.js's API — `on`/`addListener`,
 * `prependListener`, `once`, `prependOnceListener`, `off`/`removeListener`,
 * `removeAllListeners`, `emit`, `listenerCount`, `listeners`, `rawListeners`, `eventNames` — with Node's
 * semantics (listeners run in order, synchronously; one added with `once` is removed before it
 * runs; an `'error'` emitted with nobody listening is thrown), typed by an event map as
 * `EventEmitter<T>` of `node:events` is, and without `node:events`, so that the browser build
 * has it too. `events.once(connection, 'reconnected')` and `events.on(…)` of Node.js work with it.
 *
 * @module
 */

/** The arguments of event `K` in the event map `E`. */
type Args<E, K> = K extends keyof E ? (E[K] extends unknown[] ? E[K] : unknown[]) : unknown[]
type Listener = (...args: any[]) => void

/** A registration: the listener, and whether it runs once. */
interface Entry {
  listener: Listener
  once: boolean
}

export class EventEmitter<E extends { [K in keyof E]: unknown[] } = Record<string | symbol, unknown[]>> {
  #entries = new Map<string | symbol, Entry[]>()
  #maxListeners = 10

  #add(name: string | symbol, listener: Listener, once: boolean, first: boolean): this {
    if (typeof listener !== 'function') throw new TypeError(`The "listener" argument must be of type function. Received ${typeof listener}`)
    const list = this.#entries.get(name) ?? []
    if (first) list.unshift({ listener, once })
    else list.push({ listener, once })
    this.#entries.set(name, list)
    return this
  }

  #drop(name: string | symbol, entry: Entry): void {
    const list = this.#entries.get(name)
    const at = list?.indexOf(entry) ?? -1
    if (at < 0) return
    list!.splice(at, 1)
    if (list!.length === 0) this.#entries.delete(name)
  }

  on<K extends keyof E & (string | symbol)>(name: K, listener: (...args: Args<E, K>) => void): this {
    return this.#add(name, listener as Listener, false, false)
  }

  addListener<K extends keyof E & (string | symbol)>(name: K, listener: (...args: Args<E, K>) => void): this {
    return this.#add(name, listener as Listener, false, false)
  }

  prependListener<K extends keyof E & (string | symbol)>(name: K, listener: (...args: Args<E, K>) => void): this {
    return this.#add(name, listener as Listener, false, true)
  }

  once<K extends keyof E & (string | symbol)>(name: K, listener: (...args: Args<E, K>) => void): this {
    return this.#add(name, listener as Listener, true, false)
  }

  prependOnceListener<K extends keyof E & (string | symbol)>(name: K, listener: (...args: Args<E, K>) => void): this {
    return this.#add(name, listener as Listener, true, true)
  }

  /** Removes the most recently added registration of `listener`, as Node.js does. */
  off<K extends keyof E & (string | symbol)>(name: K, listener: (...args: Args<E, K>) => void): this {
    const list = this.#entries.get(name) ?? []
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]!.listener === listener) {
        this.#drop(name, list[i]!)
        break
      }
    }
    return this
  }

  removeListener<K extends keyof E & (string | symbol)>(name: K, listener: (...args: Args<E, K>) => void): this {
    return this.off(name, listener)
  }

  removeAllListeners(name?: keyof E & (string | symbol)): this {
    if (name === undefined) this.#entries.clear()
    else this.#entries.delete(name)
    return this
  }

  emit<K extends keyof E & (string | symbol)>(name: K, ...args: Args<E, K>): boolean {
    const list = this.#entries.get(name)
    if (list === undefined || list.length === 0) {
      if (name === 'error') throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error. (${String(args[0])})`)
      return false
    }
    // Listeners added or removed while emitting take effect from the next emit, as in Node.js.
    for (const entry of [...list]) {
      if (entry.once) this.#drop(name, entry)
      entry.listener.apply(this, args)
    }
    return true
  }

  listenerCount(name: keyof E & (string | symbol)): number {
    return this.#entries.get(name)?.length ?? 0
  }

  listeners<K extends keyof E & (string | symbol)>(name: K): Array<(...args: Args<E, K>) => void> {
    return (this.#entries.get(name) ?? []).map((e) => e.listener)
  }

  /** The listeners of `name` as registered (Node.js wraps `once` listeners; here they are the same). */
  rawListeners<K extends keyof E & (string | symbol)>(name: K): Array<(...args: Args<E, K>) => void> {
    return this.listeners(name)
  }

  eventNames(): Array<keyof E & (string | symbol)> {
    return [...this.#entries.keys()] as Array<keyof E & (string | symbol)>
  }

  /** Node.js warns past this many listeners of one event; this emitter only keeps the number. */
  setMaxListeners(n: number): this {
    this.#maxListeners = n
    return this
  }

  getMaxListeners(): number {
    return this.#maxListeners
  }
}
