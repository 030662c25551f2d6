/**
 * Rows from a block: row `i` as an array or as an object keyed by column name, made when it is
 * asked for, straight from the block's typed arrays (a row's values die young, with the row; no
 * column of converted values is held).
 *
 * The row function of a result is compiled from its columns (`[n0[i] !== 0 ? null : r0(v0, i),
 * …]` or `{ "ts": …, … }`): each call site sees one reader, which V8 inlines, and an object
 * literal gives every row the same hidden class without a store per key. Compiled factories are
 * cached by column list, so repeated small queries do not compile again. Without `new Function`
 * (a Content Security Policy that forbids it) a generic loop does the same, more slowly.
 *
 * @internal
 */
import type { NativeColumn } from './native.js'
import type { RowMode } from './types.js'
import type { ColumnReader } from './values.js'

/** Reads the rows of one block after another. */
export interface RowReader {
  /** Makes `block`'s columns the ones rows are read from. */
  load(columns: readonly NativeColumn[]): void
  row(i: number): unknown
}

type Factory = (readers: readonly ColumnReader[]) => RowReader

const cache = new Map<string, Factory>()
const CACHE_LIMIT = 256

function compile(columns: number, mode: RowMode, keys: readonly string[]): Factory | undefined {
  const ids = Array.from({ length: columns }, (_, c) => c)
  const cell = (c: number) => `n${c}[i] !== 0 ? null : r${c}(v${c}, i)`
  const body = mode === 'object' ? `{${ids.map((c) => `${JSON.stringify(keys[c])}: ${cell(c)}`).join(', ')}}` : `[${ids.map(cell).join(', ')}]`
  const source = `
    ${ids.map((c) => `const r${c} = R[${c}].read, p${c} = R[${c}].prepare;`).join('\n')}
    let ${ids.map((c) => `n${c}, v${c}`).join(', ') || '_'};
    return {
      load(C) { ${ids.map((c) => `n${c} = C[${c}].nulls; v${c} = p${c}(C[${c}]);`).join(' ')} },
      row(i) { return ${body} },
    }`
  try {
    return new Function('R', source) as Factory
  } catch {
    return undefined
  }
}

function generic(readers: readonly ColumnReader[], mode: RowMode, keys: readonly string[]): RowReader {
  let nulls: Uint8Array[] = []
  let views: unknown[] = []
  return {
    load(columns) {
      nulls = columns.map((c) => c.nulls)
      views = columns.map((c, k) => readers[k]!.prepare(c))
    },
    row(i) {
      const cell = (c: number) => (nulls[c]![i] !== 0 ? null : readers[c]!.read(views[c], i))
      if (mode === 'array') return readers.map((_, c) => cell(c))
      const row: Record<string, unknown> = {}
      // Own keys, even `__proto__` (an assignment would set the prototype).
      keys.forEach((k, c) => Object.defineProperty(row, k, { value: cell(c), enumerable: true, writable: true, configurable: true }))
      return row
    },
  }
}

/**
 * The row reader for a result's columns: arrays in column order, or objects keyed by column name
 * (with duplicate names the last column wins).
 */
export function rowReader(readers: readonly ColumnReader[], mode: RowMode, keys: readonly string[]): RowReader {
  // `__proto__` cannot be an own key of an object literal.
  if (mode === 'object' && keys.includes('__proto__')) return generic(readers, mode, keys)
  // One compiled factory per column list: its call sites then see one reader each.
  const key = `${mode}|${readers.map((r) => r.name).join(',')}|${mode === 'object' ? JSON.stringify(keys) : ''}`
  let factory = cache.get(key)
  if (factory === undefined) {
    factory = compile(readers.length, mode, keys)
    if (factory === undefined) return generic(readers, mode, keys)
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!)
    cache.set(key, factory)
  }
  return factory(readers)
}
