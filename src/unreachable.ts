/**
 * The safety net for server-side objects nobody can reach any more (issue 21, item 4): a result
 * or statement that was garbage-collected without being closed or read to the end is freed on
 * the server (`free_result`, stmt close) by its `free` function, so results dropped on the floor
 * do not hold the server's memory until the connection closes.
 *
 * `free` must not refer to `target` (nor to anything that refers to it): the registry holds it
 * strongly, and would keep the target reachable for ever. Closing or finishing the target calls
 * {@link forget}, so a target that is done is never freed twice.
 *
 * @internal
 */
const registry =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<() => void>((free) => {
        try {
          free()
        } catch {
          // The connection is gone: the server freed everything with the session.
        }
      })
    : undefined

/** Runs `free` once `target` has been garbage-collected, unless {@link forget} came first. */
export function freeWhenUnreachable(target: object, free: () => void): void {
  registry?.register(target, free, target)
}

/** `target` was closed or finished: nothing to free for it any more. */
export function forget(target: object): void {
  registry?.unregister(target)
}
