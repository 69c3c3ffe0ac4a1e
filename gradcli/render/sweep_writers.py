"""`gradcli sweep`'s output: a chunk of rows at a time, each row complete, as csv, jsonl or json.

Every number is written as eval writes it: its shortest round-trip text (repr), NaN and the
infinities spelled NaN, Infinity, -Infinity; a failed row has empty numbers (csv) or nulls
(json) and eval's message in `status`.
"""

from __future__ import annotations

import json
import math
from typing import TextIO

import numpy as np
import orjson

from gradcli.analysis.sweep import Chunk, Sweep
from gradcli.core.formula import number


def number_texts(column: np.ndarray, failed: np.ndarray | None, empty: str = "") -> list[str]:
    """Each value's shortest round-trip text (repr, as eval's csv), NaN/Infinity spelled as in
    eval's output, `empty` for failed rows.  repr through tolist() is the fastest exact way:
    ~3x np.savetxt's '%.17g'."""
    finite = np.isfinite(column).all()
    texts = list(map(repr if finite else _cell, column.tolist()))
    if failed is not None:
        for i in np.flatnonzero(failed).tolist():
            texts[i] = empty
    return texts


def _csv_cell(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _cell(x: float) -> str:
    return repr(x) if math.isfinite(x) else number(x)


def _number_lines(numbers: np.ndarray) -> tuple[str, np.ndarray]:
    """The rows of a 2-D float array as CSV text ("0.5,2.0\n..."), every number written as
    repr writes it (its shortest round-trip text), and the rows to write again by hand.

    orjson writes the same shortest digits as repr at ~150 ns a number against repr's
    ~1,200; only the layout differs, and only for 1e-10 <= |x| < 1e-4 ('0.00001', '1e-7'
    where repr writes '1e-05', '1e-07'), and NaN and the infinities come out as null.
    Rows holding such a number are returned for the caller to write with repr."""
    size = np.abs(numbers)
    # NaN fails every comparison, so its rows are redone too
    redo = ~(((size >= 1e-4) & (size < math.inf)) | (size < 1e-10)).all(axis=1)
    text = orjson.dumps(numbers, option=orjson.OPT_SERIALIZE_NUMPY)[2:-2]
    return text.replace(b"],[", b"\n").decode(), redo


class CsvWriter:
    def __init__(self, out: TextIO, sweep: Sweep) -> None:
        self.out = out
        self.inputs = len(sweep.names)  # columns before the output's: never blanked
        out.write(",".join(map(_csv_cell, sweep.header())) + "\n")

    def write(self, chunk: Chunk) -> None:
        numbers = np.column_stack([*chunk.inputs, *chunk.values, *chunk.grads])
        text, redo = _number_lines(numbers)
        if chunk.status is None and not redo.any():
            self.out.write(text.replace("\n", ",ok\n") + ",ok\n")
            return
        lines = text.split("\n")
        if chunk.failed is not None:
            redo |= chunk.failed
        for i in np.flatnonzero(redo).tolist():
            cells = list(map(_cell, numbers[i].tolist()))
            if chunk.failed is not None and chunk.failed[i]:
                cells[self.inputs :] = [""] * (len(cells) - self.inputs)
                cells[: self.inputs] = ["" if c == "NaN" else c for c in cells[: self.inputs]]  # a null (Parquet)
            lines[i] = ",".join(cells)
        status = ["ok"] * len(lines) if chunk.status is None else map(_csv_cell, chunk.status)
        self.out.write("\n".join(map(",".join, zip(lines, status))) + "\n")

    def close(self, sweep: Sweep) -> None:
        pass


def _json_numbers(column: np.ndarray, failed: np.ndarray | None) -> list[str]:
    values = column.tolist()
    texts = list(map(repr, values))
    if not np.isfinite(column).all():
        texts = [t if math.isfinite(x) else f'"{number(x)}"' for x, t in zip(values, texts)]
    if failed is not None:
        for i in np.flatnonzero(failed).tolist():
            texts[i] = "null"
    return texts


class JsonlWriter:
    """One object a row: {"point": {...}, "value": v, "gradients": {...}, "status": "ok"};
    a failed row has "value": null and "gradients": null.  An array output's row has the CSV's
    flat keys: "value": {"y[0]": v0, "y[1]": v1}, "gradients": {"dy[0]/dx": ..., "dy[1]/dx": ...}
    (the Jacobian row by row, as eval's `jacobian`)."""

    separator = "\n"

    def __init__(self, out: TextIO, sweep: Sweep) -> None:
        self.out = out
        keys = [json.dumps(n) for n in sweep.names]
        point = ", ".join(f"{k}: %s" for k in keys)
        if sweep.is_array:
            value = "{" + ", ".join(f"{json.dumps(y)}: %s" for y in sweep.outputs) + "}"
            keys = [json.dumps(column) for column in sweep.gradient_columns()]
        else:
            value = "%s"
        grads = ", ".join(f"{k}: %s" for k in keys)
        self.template = f'{{"point": {{{point}}}, "value": {value}, "gradients": {{{grads}}}, "status": %s}}'
        self.failed_template = f'{{"point": {{{point}}}, "value": null, "gradients": null, "status": %s}}'
        self.first = True

    def rows(self, chunk: Chunk) -> list[str]:
        # a failed row's NaN input is a null in the points (Parquet): null, as the CSV's empty cell
        nulls = [chunk.failed & np.isnan(c) if chunk.failed is not None else None for c in chunk.inputs]
        inputs = [_json_numbers(c, n) for c, n in zip(chunk.inputs, nulls)]
        numbers = [*(_json_numbers(v, None) for v in chunk.values), *(_json_numbers(g, None) for g in chunk.grads)]
        template = self.template
        if chunk.status is None:
            return [template % (*p, *v, '"ok"') for p, v in zip(zip(*inputs), zip(*numbers))]
        out = []
        for i, (p, v) in enumerate(zip(zip(*inputs), zip(*numbers))):
            if chunk.failed[i]:
                out.append(self.failed_template % (*p, json.dumps(chunk.status[i])))
            else:
                out.append(template % (*p, *v, '"ok"'))
        return out

    def write(self, chunk: Chunk) -> None:
        self.out.write("\n".join(self.rows(chunk)) + "\n")

    def close(self, sweep: Sweep) -> None:
        pass


class JsonWriter(JsonlWriter):
    """One document: {"output": ..., "inputs": [...], "rows": [jsonl objects], "failed": k},
    streamed (the rows are never all in memory); an array output adds "outputs": its elements."""

    def __init__(self, out: TextIO, sweep: Sweep) -> None:
        super().__init__(out, sweep)
        outputs = f', "outputs": {json.dumps(sweep.outputs)}' if sweep.is_array else ""
        out.write(f'{{"output": {json.dumps(sweep.output)}{outputs}, "inputs": {json.dumps(sweep.names)}, "rows": [')

    def write(self, chunk: Chunk) -> None:
        lead = "\n" if self.first else ",\n"
        self.first = False
        self.out.write(lead + ",\n".join(self.rows(chunk)))

    def close(self, sweep: Sweep) -> None:
        self.out.write(f'\n], "failed": {sweep.failed}}}\n' if not self.first else f'], "failed": {sweep.failed}}}\n')


WRITERS = {"csv": CsvWriter, "jsonl": JsonlWriter, "json": JsonWriter}


__all__ = ["WRITERS", "CsvWriter", "JsonWriter", "JsonlWriter", "number_texts"]
