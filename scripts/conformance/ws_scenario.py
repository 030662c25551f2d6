"""Conformance scenario with the official WebSocket client taos-ws-py (`taosws`) 0.7.0.

usage: ws_scenario.py http://HOST:PORT
Prints one PASS/FAIL line per check. When the official client and our server disagree, the
server is wrong."""

import sys

import taosws

from schema import COLUMNS, PRECISIONS, ROWS, TAGS, TAG_VALUES, Checks, same, setup_statements, ts_to_epoch, ts_value


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:6041"
    hostport = url.split("://", 1)[-1].rstrip("/")
    dsn = f"ws://root:taosdata@{hostport}"
    c = Checks("ws")
    conn = None

    def connect():
        nonlocal conn
        conn = taosws.connect(dsn)

    if not c.run("connect as root", connect):
        return 1

    def server_version():
        rows = list(conn.query("select server_version()"))
        return rows and isinstance(rows[0][0], str) and rows[0][0][:1].isdigit(), f"{rows}"

    c.run("select server_version()", server_version)

    for p in PRECISIONS:
        db = f"conf_ws_{p}"

        def setup():
            for sql in setup_statements(db, p):
                conn.execute(sql)

        if not c.run(f"[{p}] create database, stable, child table and insert every type", setup):
            continue

        def affected():
            n = conn.execute(f"insert into {db}.d2 using {db}.stb tags (null, null, null) (ts, c_i32, c_nc) "
                             f"values ({ts_value(p, 10)}, 1, 'x') ({ts_value(p, 11)}, null, 'y')")
            return n == 2, f"affected {n}"

        c.run(f"[{p}] insert reports affected rows", affected)

        def fields():
            r = conn.query(f"select * from {db}.stb where tbname = 'd1'")
            # taos-ws-py names VARCHAR columns "BINARY" (its own spelling of type 8).
            got = [(f.name(), "VARCHAR" if f.type() == "BINARY" else f.type()) for f in r.fields]
            want = [(n, t) for n, _, t, _ in COLUMNS] + [(n, t) for n, _, t, _ in TAGS]
            want = [(n, "DECIMAL" if t.startswith("DECIMAL") else t) for n, t in want]
            got = [(n, "DECIMAL" if t.startswith("DECIMAL") else t) for n, t in got]
            return got == want, f"got {got}"

        c.run(f"[{p}] field names and types", fields)

        def values():
            rows = list(conn.query(f"select * from {db}.stb where tbname = 'd1' order by ts"))
            if len(rows) != len(ROWS):
                return False, f"{len(rows)} rows"
            problems = []
            for want, got in zip(ROWS, rows):
                ts = ts_to_epoch(str(got[0]), p)
                if ts != ts_value(p, want["ts"]):
                    problems.append(f"ts {got[0]!r} != {ts_value(p, want['ts'])}")
                for (name, sql_type, _, _), exp, val in zip(COLUMNS[1:], want["values"], got[1:]):
                    if not same(exp, val, sql_type.split("(")[0]):
                        problems.append(f"{name}: {val!r} != {exp!r}")
                tags = list(got[len(COLUMNS):])
                if tags != TAG_VALUES:
                    problems.append(f"tags {tags!r} != {TAG_VALUES!r}")
            return not problems, "; ".join(problems[:6])

        c.run(f"[{p}] every value and NULL read back", values)

        def subset():
            rows = list(conn.query(f"select c_i32, c_nc, t_i32 from {db}.stb where tbname = 'd2' order by ts"))
            want = [(1, "x", None), (None, "y", None)]
            return [tuple(r) for r in rows] == want, f"{rows}"

        c.run(f"[{p}] column subset with NULL tags", subset)

    def json_tag():
        import json
        conn.execute("create stable conf_ws_ms.sj (ts timestamp, v int) tags (info json)")
        conn.execute("insert into conf_ws_ms.j1 using conf_ws_ms.sj tags ('{\"k\":\"v\",\"n\":1.5,\"u\":\"中\"}') "
                     f"values ({ts_value('ms', 0)}, 1)")
        conn.execute(f"insert into conf_ws_ms.j2 using conf_ws_ms.sj tags (null) values ({ts_value('ms', 0)}, 2)")
        rows = list(conn.query("select tbname, v, info from conf_ws_ms.sj order by tbname"))
        got = [(r[0], r[1], json.loads(r[2]) if isinstance(r[2], str) else r[2]) for r in rows]
        want = [("j1", 1, {"k": "v", "n": 1.5, "u": "中"}), ("j2", 2, None)]
        return got == want, f"{rows}"

    c.run("[ms] JSON tags", json_tag)

    def many_rows():
        db = "conf_ws_many"
        conn.execute(f"drop database if exists {db}")
        conn.execute(f"create database {db} keep 36500d")
        conn.execute(f"create table {db}.t (ts timestamp, v int, s varchar(12))")
        total = 0
        for batch in range(3):
            values = " ".join(
                f"({1_700_000_000_000 + batch * 5000 + i}, {batch * 5000 + i}, 's{batch * 5000 + i}')"
                for i in range(5000)
            )
            total += conn.execute(f"insert into {db}.t values {values}")
        rows = list(conn.query(f"select * from {db}.t order by ts"))
        ok = total == 15000 and len(rows) == 15000 and all(r[1] == i and r[2] == f"s{i}" for i, r in enumerate(rows))
        return ok, f"affected {total}, read {len(rows)}"

    c.run("15000 rows over several blocks", many_rows)

    def expect_error(sql, code):
        def fn():
            try:
                conn.query(sql)
            except Exception as ex:  # noqa
                return f"[0x{code:04x}]" in str(ex).lower(), f"{ex}"
            return False, "no error"
        return fn

    c.run("syntax error 0x2600", expect_error("selec 1", 0x2600))
    c.run("missing table 0x2603", expect_error("select * from conf_ws_ms.no_such_table", 0x2603))
    c.run("missing database 0x0388", expect_error("select * from no_such_db_x.t", 0x0388))
    c.run("wrong value type 0x0216", expect_error(
        f"insert into conf_ws_ms.d1 (ts, c_i32) values ({ts_value('ms', 99)}, true)", 0x0216))

    def wrong_password():
        try:
            taosws.connect(f"ws://root:wrong@{hostport}")
        except Exception as ex:  # noqa
            return "[0x0357]" in str(ex), f"{ex}"
        return False, "connected"

    c.run("wrong password 0x0357", wrong_password)

    def still_usable():
        rows = list(conn.query("select server_version()"))
        return len(rows) == 1

    c.run("connection usable after errors", still_usable)

    for p in PRECISIONS:
        try:
            conn.execute(f"drop database if exists conf_ws_{p}")
        except Exception:  # noqa
            pass
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
