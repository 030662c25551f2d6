/**
 * Waiting in specs for what they can observe but not await (a counter, a pool's size), instead
 * of sleeping and hoping: `until` checks `condition` every few milliseconds and fails naming what
 * it waited for once `timeoutMs` passed; `next` resolves with an emitter's next event.
 */

/** Resolves once `condition()` holds; rejects after `timeoutMs`, saying what did not happen. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms until ${what}, in vain`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** The arguments of the next `name` event of `emitter` (listen before causing it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any typed emitter
export function next(emitter: { once(name: any, listener: (...args: any[]) => void): unknown }, name: string): Promise<unknown[]> {
  return new Promise((resolve) => emitter.once(name, (...args: unknown[]) => resolve(args)))
}
