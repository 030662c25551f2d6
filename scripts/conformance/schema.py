"""Shared scenario data for the conformance scripts: one super table with every column type and a
few tag types, rows with values / NULLs / unicode, and the values the official clients must read
back. Expected values are derived from the inserted literals, never from a server's answer."""

import datetime as _dt
import decimal
import sys

PRECISIONS = ("ms", "us", "ns")
PER_SECOND = {"ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
BASE_SECONDS = 1_700_000_000  # 2023-11-14T22:13:20Z

COLUMNS = [
    # name, SQL type, REST type name, REST length
    ("ts", "timestamp", "TIMESTAMP", 8),
    ("c_bool", "bool", "BOOL", 1),
    ("c_i8", "tinyint", "TINYINT", 1),
    ("c_i16", "smallint", "SMALLINT", 2),
    ("c_i32", "int", "INT", 4),
    ("c_i64", "bigint", "BIGINT", 8),
    ("c_u8", "tinyint unsigned", "TINYINT UNSIGNED", 1),
    ("c_u16", "smallint unsigned", "SMALLINT UNSIGNED", 2),
    ("c_u32", "int unsigned", "INT UNSIGNED", 4),
    ("c_u64", "bigint unsigned", "BIGINT UNSIGNED", 8),
    ("c_f32", "float", "FLOAT", 4),
    ("c_f64", "double", "DOUBLE", 8),
    ("c_vc", "varchar(32)", "VARCHAR", 32),
    ("c_nc", "nchar(16)", "NCHAR", 16),
    ("c_vb", "varbinary(32)", "VARBINARY", 32),
    ("c_geo", "geometry(64)", "GEOMETRY", 64),
    ("c_d64", "decimal(10,2)", "DECIMAL(10,2)", 8),
    ("c_d128", "decimal(30,10)", "DECIMAL(30,10)", 16),
    ("c_blob", "blob", "BLOB", 4194304),
]
TAGS = [
    ("t_i32", "int", "INT", 4),
    ("t_nc", "nchar(8)", "NCHAR", 8),
    ("t_bool", "bool", "BOOL", 1),
]

POINT_1_2_WKB = bytes.fromhex("0101000000" "000000000000f03f" "0000000000000040")

# Rows: literal SQL values and what a client must decode. ts offsets are in the table precision.
ROWS = [
    {
        "ts": 0,
        "sql": ["true", "-128", "-32768", "-2147483648", "-9223372036854775808", "255", "65535",
                "4294967295", "18446744073709551615", "0.1", "-12500000000", "'ab\"c'", "'温度°C😀'",
                "'\\x0a0b'", "'POINT(1 2)'", "-0.01", "12345678901234567890.0123456789", "'\\x00ff'"],
        "values": [True, -128, -32768, -2147483648, -9223372036854775808, 255, 65535, 4294967295,
                   18446744073709551615, 0.1, -12500000000.0, "ab\"c", "温度°C😀", b"\x0a\x0b",
                   POINT_1_2_WKB, decimal.Decimal("-0.01"),
                   decimal.Decimal("12345678901234567890.0123456789"), b"\x00\xff"],
    },
    {
        "ts": 1,
        "sql": ["null"] * 18,
        "values": [None] * 18,
    },
    {
        "ts": 2,
        "sql": ["false", "127", "32767", "2147483647", "9223372036854775807", "0", "0", "0", "0",
                "1e-07", "1e21", "''", "'ü中'", "'\\x'", "null", "99999999.99", "0", "'\\x'"],
        "values": [False, 127, 32767, 2147483647, 9223372036854775807, 0, 0, 0, 0, 1e-07, 1e21, "",
                   "ü中", b"", None, decimal.Decimal("99999999.99"), decimal.Decimal("0"), b""],
    },
]
TAG_SQL = ["42", "'标签'", "true"]
TAG_VALUES = [42, "标签", True]


def ts_value(precision, offset):
    return BASE_SECONDS * PER_SECOND[precision] + offset


def setup_statements(db, precision):
    cols = ", ".join(f"{n} {t}" for n, t, _, _ in COLUMNS)
    tags = ", ".join(f"{n} {t}" for n, t, _, _ in TAGS)
    values = ", ".join(
        "(" + ", ".join([str(ts_value(precision, r["ts"]))] + r["sql"]) + ")" for r in ROWS
    )
    return [
        f"drop database if exists {db}",
        f"create database {db} precision '{precision}' keep 36500d",
        f"create stable {db}.stb ({cols}) tags ({tags})",
        f"insert into {db}.d1 using {db}.stb tags ({', '.join(TAG_SQL)}) values {values}",
    ]


def ts_to_epoch(text, precision):
    """Parses the client's rendering `YYYY-MM-DD HH:MM:SS[.frac] +HH:MM` (taos-ws-py) or RFC 3339
    (`...T...Z`) into an integer count in `precision`."""
    s = text.strip().replace("T", " ")
    offset = 0
    if s.endswith("Z"):
        s = s[:-1]
    elif len(s) > 6 and s[-6] in "+-" and s[-3] == ":":
        sign = -1 if s[-6] == "-" else 1
        offset = sign * (int(s[-5:-3]) * 3600 + int(s[-2:]) * 60)
        s = s[:-6].strip()
    date, _, time = s.partition(" ")
    frac = "0"
    if "." in time:
        time, frac = time.split(".")
    y, mo, d = (int(x) for x in date.split("-"))
    h, mi, se = (int(x) for x in time.split(":"))
    secs = int(_dt.datetime(y, mo, d, h, mi, se, tzinfo=_dt.timezone.utc).timestamp()) - offset
    digits = {"ms": 3, "us": 6, "ns": 9}[precision]
    frac_units = int((frac + "0" * digits)[:digits])
    return secs * PER_SECOND[precision] + frac_units


def same(expected, got, sql_type):
    if expected is None or got is None:
        return expected is got
    if sql_type == "float":
        return isinstance(got, (int, float)) and abs(got - expected) <= 1e-6 * max(1.0, abs(expected))
    if sql_type == "double":
        return isinstance(got, (int, float)) and abs(got - expected) <= 1e-12 * max(1.0, abs(expected))
    if isinstance(expected, decimal.Decimal):
        try:
            return decimal.Decimal(str(got)) == expected
        except Exception:  # noqa
            return False
    if isinstance(expected, bool):
        return got is expected or got == expected and isinstance(got, bool)
    return type(expected) is type(got) and expected == got


class Checks:
    """Prints one `PASS`/`FAIL` line per check; the runner counts them."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            print(f"PASS {self.prefix}: {name}")
        else:
            self.failed += 1
            print(f"FAIL {self.prefix}: {name}" + (f": {detail}" if detail else ""))
        sys.stdout.flush()
        return ok

    def run(self, name, fn):
        """Runs `fn`; an exception is a failed check."""
        try:
            result = fn()
        except Exception as ex:  # noqa
            return self.check(name, False, f"{type(ex).__name__}: {ex}")
        if isinstance(result, tuple):
            return self.check(name, *result)
        return self.check(name, result is not False)
