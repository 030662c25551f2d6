"""Conformance scenario: TMQ with the official client taos-ws-py (`taosws.Consumer`) 0.7.0 over
`/rest/tmq`.

usage: tmq_scenario.py http://HOST:PORT
Prints one PASS/FAIL line per check. When the official client and our server disagree, the
server is wrong."""

import datetime
import sys

import taosws

from schema import Checks

ROWS = [  # (table, tag g, ts ms, v, s)
    ("t1", 1, 1700000000000, 1, "一"),
    ("t1", 1, 1700000000001, 2, None),
    ("t2", 2, 1700000000000, 3, "x"),
]


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:6041"
    host, port = url.split("://", 1)[-1].rstrip("/").rsplit(":", 1)
    c = Checks("tmq")
    conn = taosws.connect(f"ws://root:taosdata@{host}:{port}")

    def setup():
        for sql in ["drop topic if exists conf_tmq_topic", "drop database if exists conf_tmq",
                    "create database conf_tmq vgroups 1",
                    "create stable conf_tmq.stb (ts timestamp, v int, s nchar(8)) tags (g int)"]:
            conn.execute(sql)
        for table, g, ts, v, s in ROWS:
            sval = "null" if s is None else f"'{s}'"
            conn.execute(f"insert into conf_tmq.{table} using conf_tmq.stb tags ({g}) values ({ts}, {v}, {sval})")
        conn.execute("create topic conf_tmq_topic as select ts, v, s, g from conf_tmq.stb")

    if not c.run("create database, rows and topic", setup):
        return 1

    def consumer(group):
        cons = taosws.Consumer(conf={
            "td.connect.websocket.scheme": "ws", "td.connect.ip": host, "td.connect.port": port,
            "td.connect.user": "root", "td.connect.pass": "taosdata", "group.id": group,
            "client.id": "conf", "auto.offset.reset": "earliest"})
        cons.subscribe(["conf_tmq_topic"])
        return cons

    def consume(cons, want):
        rows, names, vgroups = [], None, set()
        for _ in range(20):
            if len(rows) >= want:
                break
            m = cons.poll(0.5)
            if m is None:
                continue
            vgroups.add(m.vgroup())
            if (m.topic(), m.database()) != ("conf_tmq_topic", "conf_tmq"):
                raise AssertionError(f"message topic/database {m.topic()}/{m.database()}")
            for block in m:
                names = [f.name() for f in block.fields()]
                rows.extend(block)
            cons.commit(m)
        return rows, names, vgroups

    state = {}

    def subscribe():
        state["cons"] = consumer("conf_g1")
        assignment = state["cons"].assignment()
        return len(assignment) == 1, f"{[a.to_string() for a in assignment]}"

    if not c.run("subscribe and assignment", subscribe):
        return 1
    cons = state["cons"]

    def every_row():
        rows, names, vgroups = consume(cons, len(ROWS))
        state["vgroup"] = next(iter(vgroups), None)
        utc = datetime.timezone.utc
        got = sorted((r[3], int(r[0].astimezone(utc).timestamp() * 1000), r[1], r[2]) for r in rows)
        want = sorted((g, ts, v, s) for _, g, ts, v, s in ROWS)
        return names == ["ts", "v", "s", "g"] and got == want, f"names {names}, rows {got}"

    c.run("poll reads every row with the topic's columns", every_row)

    def committed_and_position():
        vg = state["vgroup"]
        got = (cons.committed("conf_tmq_topic", vg), cons.position("conf_tmq_topic", vg))
        return got[0] == got[1] and got[0] > 0, f"committed/position {got}"

    c.run("committed equals position after commit", committed_and_position)

    def nothing_new():
        return cons.poll(0.3) is None

    c.run("an empty poll when nothing is new", nothing_new)

    def new_rows_arrive():
        conn.execute("insert into conf_tmq.t2 values (1700000000005, 9, 'n')")
        rows, _, _ = consume(cons, 1)
        return [r[1] for r in rows] == [9], f"{rows}"

    c.run("rows inserted later reach the consumer", new_rows_arrive)

    def seek_to_start():
        cons.seek("conf_tmq_topic", state["vgroup"], 0)
        rows, _, _ = consume(cons, len(ROWS) + 1)
        return len(rows) == len(ROWS) + 1, f"{len(rows)} rows"

    c.run("seek to 0 reads everything again", seek_to_start)
    cons.close()

    def group_resumes():
        other = consumer("conf_g1")
        try:
            conn.execute("insert into conf_tmq.t1 values (1700000000009, 10, 'z')")
            rows, _, _ = consume(other, 1)
            return [r[1] for r in rows] == [10], f"{rows}"
        finally:
            other.close()

    c.run("a new consumer of the group resumes at the committed offset", group_resumes)

    def unknown_topic():
        cons2 = taosws.Consumer(conf={
            "td.connect.websocket.scheme": "ws", "td.connect.ip": host, "td.connect.port": port,
            "td.connect.user": "root", "td.connect.pass": "taosdata", "group.id": "conf_g2"})
        try:
            cons2.subscribe(["no_such_topic"])
        except Exception as ex:  # noqa: the client reports the server's error
            return "Topic not exist" in str(ex) or "993" in str(ex) or "0x3e1" in str(ex).lower(), str(ex)
        finally:
            cons2.close()
        return False, "subscribe succeeded"

    c.run("subscribe to an unknown topic fails", unknown_topic)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
