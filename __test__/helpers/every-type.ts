/**
 * A table with a column of every type and three rows (extremes, empty values, NULLs): the
 * fixture of the specs that compare two readings of the same rows value by value.
 */

export const EVERY_TYPE_COLUMNS = `(ts timestamp, c_bool bool, c_i8 tinyint, c_i16 smallint, c_i32 int, c_i64 bigint,
  c_u8 tinyint unsigned, c_u16 smallint unsigned, c_u32 int unsigned, c_u64 bigint unsigned,
  c_f32 float, c_f64 double, c_vc varchar(32), c_nc nchar(16), c_vb varbinary(32), c_geo geometry(64),
  c_d64 decimal(10,2), c_d128 decimal(30,10), c_blob blob)`

/** The values of each row after its timestamp. */
export const EVERY_TYPE_ROWS = [
  "true, 127, 32767, 2147483647, 9223372036854775807, 254, 65534, 4294967294, 18446744073709551614, 0.1, 1e-7, 'a\"b', 'ü😀', '\\x00ff10', 'LINESTRING(0 0, 1 1)', 99999999.99, -0.0000000001, 'blob'",
  "false, -127, -32767, -2147483647, -9223372036854775807, 0, 0, 0, 0, 16777216, -12500000000, '', '', '\\x', 'POINT(-1.5 2.25)', 0, 0, ''",
  Array.from({ length: 18 }, () => 'null').join(', '),
]
