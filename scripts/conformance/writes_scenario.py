"""Write paths with the official WebSocket client taos-ws-py (`taosws`) 0.7.0: stmt2 and schemaless.

usage: writes_scenario.py http://HOST:PORT
Prints one PASS/FAIL line per check. When the official client and our server disagree, the
server is wrong."""

import sys

import taosws

from schema import Checks

DB = "conf_writes"
T0 = 1_700_000_000_000


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:6041"
    hostport = url.split("://", 1)[-1].rstrip("/")
    c = Checks("writes")
    conn = taosws.connect(f"ws://root:taosdata@{hostport}")
    conn.execute(f"drop database if exists {DB}")
    conn.execute(f"create database {DB} precision 'ms'")
    conn.execute(f"use {DB}")
    conn.execute("create stable meters (ts timestamp, cur float, volt int, note nchar(16)) tags (gid int, loc varchar(24))")

    def stmt2_insert_two_tables():
        stmt = conn.stmt2_statement()
        stmt.prepare("insert into ? using meters tags (?, ?) values (?, ?, ?, ?)")
        params = []
        for i, name in enumerate(["d1", "d2"]):
            params.append(taosws.stmt2_bind_param_view(
                table_name=name,
                tags=[taosws.int_to_tag(i + 1), taosws.varchar_to_tag(f"loc-{i}")],
                columns=[
                    taosws.millis_timestamps_to_column([T0, T0 + 1, T0 + 2]),
                    taosws.floats_to_column([1.5, None, 3.25]),
                    taosws.ints_to_column([220, 221, None]),
                    taosws.nchar_to_column(["温度", None, "ü'q\""]),
                ],
            ))
        stmt.bind(params)
        n = stmt.execute()
        stmt.close()
        return n == 6, f"affected {n}"

    c.run("stmt2 insert: two child tables auto-created from bound tags", stmt2_insert_two_tables)

    def stmt2_read_back():
        rows = list(conn.query("select tbname, ts, cur, volt, note, gid, loc from meters order by tbname, ts"))
        want_d1 = [(1.5, 220, "温度"), (None, 221, None), (3.25, None, "ü'q\"")]
        got_d1 = [(r[2], r[3], r[4]) for r in rows if r[0] == "d1"]
        tags = sorted({(r[0], r[5], r[6]) for r in rows})
        return (len(rows) == 6 and got_d1 == want_d1 and tags == [("d1", 1, "loc-0"), ("d2", 2, "loc-1")],
                f"rows {rows}")

    c.run("stmt2 insert: values, NULLs, unicode and tags read back", stmt2_read_back)

    def stmt2_query_with_parameter():
        stmt = conn.stmt2_statement()
        stmt.prepare("select volt from meters where volt > ? order by volt")
        stmt.bind([taosws.stmt2_bind_param_view(table_name="", tags=None, columns=[taosws.ints_to_column([220])])])
        stmt.execute()
        got = [r[0] for r in stmt.result_set()]
        stmt.close()
        return got == [221, 221], f"got {got}"

    c.run("stmt2 query with a parameter", stmt2_query_with_parameter)

    def schemaless_line():
        lines = [
            "sml_line,host=h1,region=eu cpu=0.5,mem=1024i64,ok=true 1700000000000",
            "sml_line,host=h2,region=eu cpu=0.75,mem=2048i64,ok=false 1700000000001",
        ]
        conn.schemaless_insert(lines, taosws.PySchemalessProtocol.Line, taosws.PySchemalessPrecision.Millisecond, 0, 1)
        rows = list(conn.query("select `host`, cpu, mem, ok from sml_line order by `host`"))
        return rows == [("h1", 0.5, 1024, True), ("h2", 0.75, 2048, False)], f"rows {rows}"

    c.run("schemaless line protocol creates the table and reads back", schemaless_line)

    def schemaless_telnet():
        lines = ["sml_tel 1700000000 42.5 host=h1", "sml_tel 1700000001 43.5 host=h1"]
        conn.schemaless_insert(lines, taosws.PySchemalessProtocol.Telnet, taosws.PySchemalessPrecision.Second, 0, 2)
        rows = list(conn.query("select _value from sml_tel order by _ts"))
        return [r[0] for r in rows] == [42.5, 43.5], f"rows {rows}"

    c.run("schemaless OpenTSDB telnet", schemaless_telnet)

    def schemaless_json():
        doc = '[{"metric":"sml_json","timestamp":1700000000000,"value":7,"tags":{"host":"h9"}}]'
        conn.schemaless_insert([doc], taosws.PySchemalessProtocol.Json, taosws.PySchemalessPrecision.Millisecond, 0, 3)
        rows = list(conn.query("select _value, `host` from sml_json"))
        return rows == [(7.0, "h9")], f"rows {rows}"

    c.run("schemaless OpenTSDB JSON", schemaless_json)

    def schemaless_bad_line_is_refused():
        try:
            conn.schemaless_insert(["sml_bad,host=h1 1700000000000"], taosws.PySchemalessProtocol.Line,
                                   taosws.PySchemalessPrecision.Millisecond, 0, 4)
        except Exception as ex:  # noqa: the client raises its own class
            return True, str(ex)
        return False, "a line without fields was accepted"

    c.run("schemaless: a line without fields is refused", schemaless_bad_line_is_refused)

    def still_usable():
        return list(conn.query("select count(*) from meters")) == [(6,)]

    c.run("connection usable after the refused line", still_usable)
    conn.execute(f"drop database {DB}")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
