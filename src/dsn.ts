/**
 * The DSN as far as the facade needs it: the environment default. Parsing proper (schemes,
 * endpoints, credentials, parameters) is the Rust core's, whose errors never repeat credentials.
 *
 * @internal
 * @module
 */

/** `TDENGINE_DSN`, when set and not empty. */
export function envDsn(): string | undefined {
  const value = typeof process === 'undefined' ? undefined : process.env['TDENGINE_DSN']
  return value === undefined || value === '' ? undefined : value
}
