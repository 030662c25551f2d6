"""The benchmark's data for the Python clients: the twin of bench/lib/data.mjs (same schema,
values and batch shapes), plus the measuring window (getrusage of this process, all threads)."""
import json
import resource
import sys
import time

T0 = 1_700_000_000_000
COLUMN_NAMES = ["ts", "c_bool", "c_tiny", "c_int", "c_big", "c_uint", "c_float", "c_double", "c_str", "c_nchar"]
COLUMNS = ("ts timestamp, c_bool bool, c_tiny tinyint, c_int int, c_big bigint, c_uint int unsigned, "
           "c_float float, c_double double, c_str varchar(16), c_nchar nchar(8)")
MARKS = ", ".join("?" for _ in COLUMN_NAMES)


def stable_sql(db):
    return f"create stable {db}.meters ({COLUMNS}) tags (gid int)"


def stmt2_sql(db):
    return f"insert into ? using {db}.meters tags (?) values ({MARKS})"


def plain_columns(start, n, ts_base):
    idx = range(start, start + n)
    return [
        [ts_base + k for k in range(n)],
        [i % 2 == 0 for i in idx],
        [(i % 100) - 50 for i in idx],
        [None if i % 10 == 0 else i for i in idx],
        [i * 1000 for i in idx],
        list(idx),
        [i / 4 for i in idx],
        [i / 7 for i in idx],
        [f"s{i}" for i in idx],
        [None if i % 13 == 0 else f"ü{i % 1000}" for i in idx],
    ]


def stmt2_batches(job):
    rows, tables, batch_rows = job["rows"], job["tables"], job["batchRows"]
    per_table = batch_rows // tables
    batches = []
    for b in range(rows // batch_rows):
        batches.append([(f"d{t}", t, plain_columns(b * batch_rows + t * per_table, per_table, T0 + b * per_table))
                        for t in range(tables)])
    return batches


def line_batches(job):
    rows, batch_rows, tables = job["rows"], job["batchRows"], job["tables"]
    out = []
    for start in range(0, rows, batch_rows):
        out.append([
            f'sml,host=h{i % tables} c_int={i}i,c_double={js_number(i / 7)},c_str="s{i}",c_bool={"true" if i % 2 == 0 else "false"} {T0 + i // tables}'
            for i in range(start, min(rows, start + batch_rows))
        ])
    return out


def js_number(x):
    """Formats a float like JavaScript's String(x), so both languages send the same lines."""
    return str(int(x)) if x == int(x) else repr(x)


def job():
    return json.loads(sys.argv[1])


class Window:
    def __init__(self):
        self.latencies = None

    def start(self):
        self.r0 = resource.getrusage(resource.RUSAGE_SELF)
        self.t0 = time.perf_counter_ns()

    def now(self):
        return time.perf_counter_ns()

    def lap(self, since):
        if self.latencies is None:
            self.latencies = []
        self.latencies.append((time.perf_counter_ns() - since) / 1000)

    def queries(self, job, once, time_each):
        """The small-query workloads: warm-up outside the window, then job["rows"] queries one
        after another, each timed when time_each; once() runs one query and returns its rows."""
        for _ in range(job["warmup"]):
            once()
        self.start()
        rows = 0
        for _ in range(job["rows"]):
            t = self.now() if time_each else 0
            rows += once()
            if time_each:
                self.lap(t)
        self.stop(job["rows"], rowsPerQuery=rows / job["rows"])

    def fetch(self, run_query, sql, names_of, as_objects):
        """The fetch workloads: run_query(sql) inside the window, then every row iterated, or
        turned into a dict keyed by the names names_of(result) gives."""
        self.start()
        result = run_query(sql)
        n = 0
        if as_objects:
            names = names_of(result)
            for row in result:
                dict(zip(names, row))
                n += 1
        else:
            for _row in result:
                n += 1
        self.stop(n)

    def stop(self, units, **extra):
        wall_ns = time.perf_counter_ns() - self.t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        result = {
            "units": units,
            "wallMs": wall_ns / 1e6,
            "cpuUserMs": (r1.ru_utime - self.r0.ru_utime) * 1000,
            "cpuSysMs": (r1.ru_stime - self.r0.ru_stime) * 1000,
            "peakRssKb": r1.ru_maxrss,
            "ctxSwitches": r1.ru_nvcsw - self.r0.ru_nvcsw,
            **extra,
        }
        if self.latencies is not None:
            s = sorted(self.latencies)
            result["p50Us"] = s[min(len(s) - 1, int(0.5 * len(s)))]
            result["p99Us"] = s[min(len(s) - 1, int(0.99 * len(s)))]
        print("RESULT " + json.dumps(result), flush=True)


def unsupported(reason):
    print("RESULT " + json.dumps({"unsupported": reason}), flush=True)


def run(job, workloads, client, conn):
    """Runs the job's workload (or says this client has none), then closes the connection."""
    try:
        workload = workloads.get(job["workload"])
        if workload is None:
            unsupported(f"{client}: no {job['workload']} workload here")
        else:
            workload()
    finally:
        conn.close()
