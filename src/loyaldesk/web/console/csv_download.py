"""A table as a CSV download (the console's report and analytics exports)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from fastapi.responses import Response


def csv_download(rows: Iterable[Sequence[object]], filename: str) -> Response:
    """``rows`` (the header first) as ``filename``; ``None`` cells are written empty."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
