"""A table as a CSV download (the console's report and analytics exports)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from fastapi.responses import Response, StreamingResponse

STREAM_ROWS = 1000  # rows written per chunk of a streamed download


def csv_download(rows: Iterable[Sequence[object]], filename: str) -> Response:
    """``rows`` (the header first) as ``filename``; ``None`` cells are written empty."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_stream(rows: Iterable[Sequence[object]], filename: str) -> Response:
    """``rows`` (the header first) as ``filename``, sent in chunks as they are produced, so that a large
    export starts at once and is never held whole in memory; ``None`` cells are written empty."""

    def chunks() -> Iterator[str]:
        source = iter(rows)
        while batch := list(islice(source, STREAM_ROWS)):
            out = io.StringIO()
            csv.writer(out).writerows(batch)
            yield out.getvalue()

    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
