/**
 * Which JavaScript runtime this is, in the words errors use ("Node.js v20.20.2", "Chromium 156",
 * "Deno 2.9.6"), without touching anything a runtime may lack.
 *
 * @internal
 * @module
 */

interface Versions {
  node?: string
  bun?: string
  deno?: string
}

/** The runtime's name and version, for error messages. */
export function runtimeName(): string {
  const versions = (globalThis as { process?: { versions?: Versions; version?: string } }).process?.versions
  if (versions?.bun) return `Bun ${versions.bun}`
  const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno
  if (deno !== undefined) return `Deno ${deno.version?.deno ?? ''}`.trim()
  if (versions?.node) return `Node.js v${versions.node}`
  const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? ''
  const browser = /(Edg|OPR|Firefox|Chromium|Chrome|Version)\/(\d+)/.exec(agent)
  if (browser) {
    const name = { Edg: 'Edge', OPR: 'Opera', Version: /Safari/.test(agent) ? 'Safari' : 'the browser' }[browser[1]!] ?? browser[1]!
    const headless = /HeadlessChrome/.test(agent) ? ' (headless)' : ''
    return `${name} ${browser[2]}${headless}`
  }
  return agent === '' ? 'this JavaScript runtime' : 'this browser'
}

/** Node.js itself (not Bun or Deno, which also define `process.versions.node`). */
export function isNode(): boolean {
  const versions = (globalThis as { process?: { versions?: Versions } }).process?.versions
  return versions?.node !== undefined && versions.bun === undefined && versions.deno === undefined && !('Deno' in globalThis)
}
