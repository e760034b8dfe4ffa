"""The ``result_cache`` table: computed results kept per (kind, month, catalogue version) with the fingerprint of
the inputs they were computed from (services.store decides what is stored and when it is still valid).

Payload format (never pickle: whoever can write the database must not be able to run code in the app):
``MAGIC`` + 4-byte big-endian header length + a JSON header + one Parquet file per frame. The header holds plain
JSON values (month, names, lists) and each frame's (offset, length) in the body, so a reader parses only the frames
and columns it asks for (``unpack(payload, frames=..., columns=...)``). Anything else is refused with ValueError.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import struct
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from data import models as m


@dataclass(frozen=True)
class StoredResult:
    fingerprint: str
    payload: bytes
    created_at: dt.datetime


def _key(kind: str, month: str, version: str):
    rc = m.ResultCache
    return rc.kind == kind, rc.month == month, rc.catalogue_version == version


def load(engine: Engine, kind: str, month: str, version: str) -> StoredResult | None:
    rc = m.ResultCache
    with engine.connect() as conn:
        row = conn.execute(select(rc.fingerprint, rc.payload, rc.created_at).where(*_key(kind, month, version))).first()
    return None if row is None else StoredResult(row[0], bytes(row[1]), row[2])


def save(engine: Engine, kind: str, month: str, version: str, fingerprint: str, payload: bytes) -> dt.datetime:
    """Replace the stored result of (kind, month, version); returns its time stamp (whole seconds)."""
    now = dt.datetime.now().replace(microsecond=0)
    with Session(engine) as s, s.begin():
        s.execute(delete(m.ResultCache).where(*_key(kind, month, version)))
        s.add(m.ResultCache(kind=kind, month=month, catalogue_version=version, fingerprint=fingerprint,
                            payload=payload, created_at=now))
    return now


def fingerprints(engine: Engine) -> dict[tuple[str, str, str], str]:
    """(kind, month, version) -> fingerprint of every stored result."""
    rc = m.ResultCache
    with engine.connect() as conn:
        rows = conn.execute(select(rc.kind, rc.month, rc.catalogue_version, rc.fingerprint)).all()
    return {(k, mo, v): fp for k, mo, v, fp in rows}


MAGIC = b"DSR1"
# what a damaged payload can raise while being read (callers recompute instead)
PAYLOAD_ERRORS = (ValueError, TypeError, KeyError, OSError, struct.error, pa.ArrowException)


def pack(frames: dict[str, pd.DataFrame], meta: dict) -> bytes:
    """Frames as Parquet (dtypes incl. category/Int64 kept via pandas metadata) and JSON meta in one payload."""
    body = io.BytesIO()
    index = {}
    for name, df in frames.items():
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(df, preserve_index=None), buf, compression="zstd")
        raw = buf.getvalue()
        index[name] = [body.tell(), len(raw)]
        body.write(raw)
    header = json.dumps({"meta": meta, "frames": index}, ensure_ascii=False).encode()
    return MAGIC + struct.pack(">I", len(header)) + header + body.getvalue()


def unpack(payload: bytes, frames: list[str] | None = None,
           columns: dict[str, list[str]] | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """(frames, meta) of a payload written by ``pack``; only the named frames (all by default) and, per frame,
    only the named columns. Raises ValueError for anything that is not such a payload (e.g. an old pickle)."""
    if not payload.startswith(MAGIC) or len(payload) < len(MAGIC) + 4:
        raise ValueError("not a stored-result payload")
    (n,) = struct.unpack(">I", payload[len(MAGIC):len(MAGIC) + 4])
    start = len(MAGIC) + 4
    header = json.loads(payload[start:start + n].decode())
    body = memoryview(payload)[start + n:]
    out = {}
    for name, (off, length) in header["frames"].items():
        if frames is not None and name not in frames:
            continue
        cols = (columns or {}).get(name)
        table = pq.read_table(pa.BufferReader(body[off:off + length]), columns=cols)
        out[name] = table.to_pandas()
    return out, header["meta"]
