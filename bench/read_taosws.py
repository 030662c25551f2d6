"""Reads one query with the official Python WebSocket client (taos-ws-py) and prints
`rows seconds` — the other side of bench/compare.mjs."""
import sys
import time

import taosws

dsn, sql = sys.argv[1], sys.argv[2]
conn = taosws.connect(dsn)
start = time.perf_counter()
rows = 0
for _row in conn.query(sql):
    rows += 1
print(rows, time.perf_counter() - start)
conn.close()
