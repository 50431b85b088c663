"""``python -m bench.createdb URL…``: create the benchmark's PostgreSQL databases that do not exist yet."""

import sys
from urllib.parse import urlsplit

import psycopg
from psycopg import sql


def create(url):
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"Base {name} créée.")


if __name__ == "__main__":
    for url in sys.argv[1:]:
        create(url)
