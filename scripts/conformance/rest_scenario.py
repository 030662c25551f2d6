"""Conformance scenario with the official REST client taospy 2.8.10 (`taosrest.RestClient`).

usage: rest_scenario.py http://HOST:PORT
Prints one PASS/FAIL line per check. When the official client and our server disagree, the
server is wrong."""

import decimal
import sys

import taosrest

from schema import COLUMNS, PRECISIONS, ROWS, TAGS, TAG_VALUES, Checks, same, setup_statements, ts_to_epoch, ts_value


def rest_expected(v):
    """How REST renders a decoded value: bytes as lowercase hex, decimals as text."""
    if isinstance(v, bytes):
        return v.hex()
    return v


def main():
    url = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:6041").rstrip("/")
    c = Checks("rest")
    client = taosrest.RestClient(url, user="root", password="taosdata", convert_timestamp=False)

    c.run("select server_version()", lambda: client.sql("select server_version()")["code"] == 0)

    for p in PRECISIONS:
        db = f"conf_rest_{p}"

        def setup():
            for sql in setup_statements(db, p):
                r = client.sql(sql)
                if r["code"] != 0:
                    return False, f"{sql[:60]}: {r}"
            return True

        if not c.run(f"[{p}] create database, stable, child table and insert every type", setup):
            continue

        def meta():
            r = client.sql(f"select * from {db}.stb where tbname = 'd1'")
            want = [[n, t, l] for n, _, t, l in COLUMNS] + [[n, t, l] for n, _, t, l in TAGS]
            return r["column_meta"] == want, f"{r['column_meta']}"

        c.run(f"[{p}] column_meta names, types and lengths", meta)

        def values():
            r = client.sql(f"select * from {db}.stb where tbname = 'd1' order by ts")
            rows = r["data"]
            if r["rows"] != len(ROWS) or len(rows) != len(ROWS):
                return False, f"{r['rows']} rows"
            problems = []
            digits = {"ms": 3, "us": 6, "ns": 9}[p]
            for want, got in zip(ROWS, rows):
                ts = got[0]
                frac = ts.split(".")[1].rstrip("Z") if "." in ts else ""
                if not ts.endswith("Z") or len(frac) != digits or ts_to_epoch(ts, p) != ts_value(p, want["ts"]):
                    problems.append(f"ts {ts!r}")
                for (name, sql_type, _, _), exp, val in zip(COLUMNS[1:], want["values"], got[1:]):
                    base = sql_type.split("(")[0]
                    if isinstance(exp, decimal.Decimal):
                        scale = int(sql_type.split(",")[1].rstrip(")"))
                        ok = isinstance(val, str) and val == f"{exp:.{scale}f}"
                    else:
                        ok = same(rest_expected(exp), val, base)
                    if not ok:
                        problems.append(f"{name}: {val!r} vs {exp!r}")
                if got[len(COLUMNS):] != TAG_VALUES:
                    problems.append(f"tags {got[len(COLUMNS):]}")
            return not problems, "; ".join(problems[:6])

        c.run(f"[{p}] every value and NULL rendered", values)

        def tz():
            r = client.sql(f"select ts from {db}.d1 order by ts limit 1")
            ts_utc = r["data"][0][0]
            import urllib.request, base64, json
            req = urllib.request.Request(f"{url}/rest/sql?tz=Asia/Shanghai", data=f"select ts from {db}.d1 order by ts limit 1".encode(),
                                         headers={"Authorization": "Basic " + base64.b64encode(b"root:taosdata").decode()})
            body = json.load(urllib.request.urlopen(req))
            ts_sh = body["data"][0][0]
            return ts_sh.endswith("+08:00") and ts_to_epoch(ts_sh, p) == ts_to_epoch(ts_utc, p), f"{ts_utc} / {ts_sh}"

        c.run(f"[{p}] tz=Asia/Shanghai renders +08:00", tz)

    def json_tag():
        client.sql("create stable conf_rest_ms.sj (ts timestamp, v int) tags (info json)")
        client.sql("insert into conf_rest_ms.j1 using conf_rest_ms.sj tags ('{\"k\":\"v\",\"n\":1.5,\"u\":\"中\"}') "
                   f"values ({ts_value('ms', 0)}, 1)")
        client.sql(f"insert into conf_rest_ms.j2 using conf_rest_ms.sj tags (null) values ({ts_value('ms', 0)}, 2)")
        r = client.sql("select tbname, v, info from conf_rest_ms.sj order by tbname")
        ok = r["column_meta"][2] == ["info", "JSON", 4095] and r["data"] == [
            ["j1", 1, {"k": "v", "n": 1.5, "u": "中"}], ["j2", 2, None]]
        return ok, f"{r}"

    c.run("[ms] JSON tags embedded as JSON", json_tag)

    def affected():
        r = client.sql(f"insert into conf_rest_ms.d3 using conf_rest_ms.stb tags (1, 'a', false) (ts, c_i32) "
                       f"values ({ts_value('ms', 20)}, 5) ({ts_value('ms', 21)}, 6)")
        return r["data"] == [[2]] and r["column_meta"] == [["affected_rows", "INT", 4]], f"{r}"

    c.run("insert answers affected_rows", affected)

    def expect_error(sql, code):
        def fn():
            try:
                r = client.sql(sql)
            except Exception as ex:  # noqa
                return getattr(ex, "errno", None) == code, f"{ex!r}"
            return False, f"no error: {r}"
        return fn

    c.run("syntax error 9728", expect_error("selec 1", 9728))
    c.run("missing table 9731", expect_error("select * from conf_rest_ms.nope", 9731))
    c.run("missing database 904", expect_error("select * from no_such_db_x.t", 904))
    c.run("database exists 897", expect_error("create database conf_rest_ms", 897))

    def wrong_password():
        bad = taosrest.RestClient(url, user="root", password="wrong")
        try:
            bad.sql("select 1")
        except Exception as ex:  # noqa
            return getattr(ex, "errno", None) == 855, f"{ex!r}"
        return False, "accepted"

    c.run("wrong password 855", wrong_password)

    def login_token():
        # taospy's `token=` is the cloud `?token=` parameter, so the Taosd header is sent by hand.
        import urllib.request, json
        body = json.load(urllib.request.urlopen(f"{url}/rest/login/root/taosdata"))
        req = urllib.request.Request(f"{url}/rest/sql", data=b"select server_version()",
                                     headers={"Authorization": "Taosd " + body["desc"]})
        answer = json.load(urllib.request.urlopen(req))
        return body["code"] == 0 and answer["code"] == 0, f"{body} / {answer}"

    c.run("login token works as Taosd auth", login_token)

    for p in PRECISIONS:
        try:
            client.sql(f"drop database if exists conf_rest_{p}")
        except Exception:  # noqa
            pass
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
