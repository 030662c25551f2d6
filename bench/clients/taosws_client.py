"""taos-ws-py (the official Python WebSocket client, `taosws`) running one benchmark workload in
its own process: python bench/clients/taosws_client.py '<job json>'."""
import os

import taosws

from data import Window, job as read_job, run, line_batches, stable_sql, stmt2_batches, stmt2_sql

job = read_job()
conn = taosws.connect(f"ws://{job['user']}:{job['password']}@{job['host']}:{job['port']}")
w = Window()


def fetch(as_objects):
    list(conn.query("select server_version()"))  # warm-up, outside the window
    w.fetch(conn.query, job["sql"], lambda result: [f.name() if callable(f.name) else f.name for f in result.fields], as_objects)


def fresh_database():
    conn.execute(f"drop database if exists {job['db']}")
    conn.execute(f"create database {job['db']}")


BUILDERS = [
    taosws.millis_timestamps_to_column, taosws.bools_to_column, taosws.tiny_ints_to_column, taosws.ints_to_column,
    taosws.big_ints_to_column, taosws.unsigned_ints_to_column, taosws.floats_to_column, taosws.doubles_to_column,
    taosws.varchar_to_column, taosws.nchar_to_column,
]


def stmt2():
    fresh_database()
    conn.execute(stable_sql(job["db"]))
    conn.execute(f"use {job['db']}")  # the `?` child names live in the current database
    batches = stmt2_batches(job)
    stmt = conn.stmt2_statement()
    stmt.prepare(stmt2_sql(job["db"]))
    w.start()
    n = 0
    for batch in batches:
        params = [
            taosws.stmt2_bind_param_view(
                table_name=name,
                tags=[taosws.int_to_tag(gid)],
                columns=[build(values) for build, values in zip(BUILDERS, cols)],
            )
            for name, gid, cols in batch
        ]
        stmt.bind(params)
        n += stmt.execute()
    w.stop(n)
    stmt.close()


def small_query():
    return len(list(conn.query(job["sql"])))


def schemaless():
    fresh_database()
    conn.execute(f"use {job['db']}")
    batches = line_batches(job)
    w.start()
    n = 0
    for req_id, lines in enumerate(batches, 1):
        conn.schemaless_insert(lines, taosws.PySchemalessProtocol.Line, taosws.PySchemalessPrecision.Millisecond, 0, req_id)
        n += len(lines)
    w.stop(n)


TMQ_IDLE_POLLS = 30  # empty polls (1 s each) in a row after which the workload gives up


def tmq():
    """A topic of this run over the workload's query, read from the start by a new consumer
    group, row by row."""
    topic = f"{job['db']}_topic_{os.getpid()}"
    conn.execute(f"create topic {topic} as {job['sql']}")
    consumer = taosws.Consumer(conf={
        "td.connect.websocket.scheme": "ws", "td.connect.ip": job["host"], "td.connect.port": str(job["port"]),
        "td.connect.user": job["user"], "td.connect.pass": job["password"],
        "group.id": f"{topic}_{os.getpid()}", "auto.offset.reset": "earliest"})
    w.start()
    consumer.subscribe([topic])
    n, idle = 0, 0
    while n < job["rows"]:
        message = consumer.poll(1.0)
        if message is None:
            idle += 1
            if idle == TMQ_IDLE_POLLS:
                raise RuntimeError(f"tmq: {n} of {job['rows']} rows, then {idle} empty polls")
            continue
        idle = 0
        for block in message:
            for _row in block:
                n += 1
    w.stop(n)
    consumer.close()
    try:  # TDengine refuses the drop for a moment after the consumer left (0x03EF)
        conn.execute(f"drop topic if exists {topic}")
    except taosws.Error:
        pass


WORKLOADS = {
    "rows": lambda: fetch(False),
    "objects": lambda: fetch(True),
    "stream": lambda: fetch(False),
    "stmt2-arrays": stmt2,
    "small-query": lambda: w.queries(job, small_query, False),
    "latency": lambda: w.queries(job, small_query, True),
    "schemaless": schemaless,
    "tmq": tmq,
}

run(job, WORKLOADS, "taos-ws-py", conn)
