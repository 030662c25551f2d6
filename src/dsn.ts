/**
 * The DSN as far as the facade needs it. Parsing proper (schemes, endpoints, parameters) is done
 * by the Rust core; here only the environment default and the secrets to keep out of messages.
 *
 * @internal
 * @module
 */

/** `TDENGINE_DSN`, when set and not empty. */
export function envDsn(): string | undefined {
  const value = typeof process === 'undefined' ? undefined : process.env['TDENGINE_DSN']
  return value === undefined || value === '' ? undefined : value
}

/** The password and token inside a DSN, so that error messages can leave them out. */
export function dsnSecrets(dsn: string | undefined): string[] {
  if (dsn === undefined) return []
  const out: string[] = []
  const userinfo = /^[^:]+:\/\/([^@/]*)@/.exec(dsn)?.[1]
  const colon = userinfo?.indexOf(':') ?? -1
  if (userinfo !== undefined && colon >= 0) {
    const password = userinfo.slice(colon + 1)
    out.push(password)
    try {
      out.push(decodeURIComponent(password))
    } catch {
      // not percent-encoded
    }
  }
  const token = /[?&]token=([^&]*)/.exec(dsn)?.[1]
  if (token !== undefined) out.push(token)
  return out
}
