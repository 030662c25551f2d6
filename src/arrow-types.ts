/**
 * What taosjs's public types say about Apache Arrow values. `apache-arrow` is an optional peer
 * dependency, so taosjs's declarations must compile without it: these are the few members of its
 * `Table` and `RecordBatch` that every version has, and the methods returning them are generic, so
 * a project that has `apache-arrow` names the real class: `await result.toArrow<Table>()`.
 */

/** The part of an `apache-arrow` `RecordBatch` taosjs's types rely on (one per result block). */
export interface ArrowRecordBatchLike {
  readonly numRows: number
  readonly numCols: number
  readonly schema: { readonly fields: ReadonlyArray<{ readonly name: string }> }
}

/** The part of an `apache-arrow` `Table` taosjs's types rely on. */
export interface ArrowTableLike {
  readonly numRows: number
  readonly numCols: number
  readonly schema: { readonly fields: ReadonlyArray<{ readonly name: string }> }
  readonly batches: ReadonlyArray<ArrowRecordBatchLike>
  /** The column called `name`, or null. */
  getChild(name: string): { readonly length: number; get(index: number): unknown; toArray(): unknown } | null
}
