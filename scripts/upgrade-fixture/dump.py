# SPDX-License-Identifier: EUPL-1.2
# Dumps a pactum SQLite database's rows as INSERT statements that load on
# SQLite and PostgreSQL alike: every value a quoted literal (each engine
# reads it as the column's type), tables in the order they were created
# (referenced before referencing). Schema and goose's version table are
# left out: the test makes them with the migrations.
import sqlite3, sys

db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
          if r[0] not in ("goose_db_version", "sqlite_sequence")]

def lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, bytes):
        raise SystemExit("blob values are not portable")
    return "'" + str(v).replace("'", "''") + "'"

print("-- SPDX-License-Identifier: EUPL-1.2")
print("-- Rows written by pactum 964782d (schema 3); scripts/upgrade-fixture/generate.sh made this file.")
for t in tables:
    cur = db.execute('SELECT * FROM "%s" ORDER BY rowid' % t)
    cols = [d[0] for d in cur.description]
    for row in cur:
        print("INSERT INTO %s (%s) VALUES (%s);" % (t, ", ".join(cols), ", ".join(lit(v) for v in row)))
