"""taospy's REST client (`taosrest`) running one benchmark workload in its own process:
python bench/clients/taosrest_client.py '<job json>'. REST returns a whole result as one JSON
document, so it reads rows but has no streaming, statements or schemaless here."""
import taosrest

from data import Window, job as read_job, run

job = read_job()
conn = taosrest.connect(url=f"http://{job['host']}:{job['port']}", user=job["user"], password=job["password"])
w = Window()


def fetch(as_objects):
    conn.query("select server_version()")  # warm-up, outside the window
    w.fetch(conn.query, job["sql"], lambda result: [f["name"] for f in result.fields], as_objects)


def small_query():
    return len(conn.query(job["sql"]).data)


WORKLOADS = {
    "rows": lambda: fetch(False),
    "objects": lambda: fetch(True),
    "small-query": lambda: w.queries(job, small_query, False),
    "latency": lambda: w.queries(job, small_query, True),
}

run(job, WORKLOADS, "taospy REST", conn)
