"""Certification results on disk: TSV rows, the run manifest, atomic writes, resume and merge.

Each protocol's certificates go to ``<protocol>.tsv`` in Cohen et al.'s format: a header
``idx label predict radius correct time`` and one row per image, radius written at full precision
(``repr`` of the float, which reads back to the same number). ``manifest.json`` beside the TSVs
holds the run's settings (keys sorted, each list of numbers on one line). Rows are validated when
written and when read, and :func:`read_tsv` is the one reader of these files.

``time`` is the wall time, in seconds, of the forward batch group an image was certified in, divided
by the number of images in it (images share forward passes, and every protocol shares them too). It
is the one column a resumed or sharded run does not reproduce.
"""

from __future__ import annotations

import json
import math
import pathlib
from dataclasses import dataclass

from drt_min.atomic import atomic_write_text

__all__ = [
    "COLUMNS",
    "MANIFEST",
    "Row",
    "format_row",
    "parse_row",
    "read_tsv",
    "write_tsv",
    "TsvAppender",
    "atomic_write_text",
    "manifest_text",
    "write_manifest",
    "read_manifest",
    "resume_prefix",
    "shard_dir",
    "merge_shards",
    "RESULT_KEYS",
]

COLUMNS = ("idx", "label", "predict", "radius", "correct", "time")
HEADER = "\t".join(COLUMNS)
MANIFEST = "manifest.json"

#: Manifest keys that determine the certificates; a resumed run or a merged shard must match them.
RESULT_KEYS = ("sigma", "n0", "n", "alpha", "seed", "noise_block", "indices", "weights",
               "protocols", "num_classes", "extra")


@dataclass(frozen=True)
class Row:
    idx: int
    label: int
    predict: int
    radius: float
    correct: int
    time: float

    def validate(self) -> "Row":
        if self.idx < 0 or self.label < 0 or self.predict < -1:
            raise ValueError(f"invalid indices or classes in row {self}")
        if not (math.isfinite(self.radius) and self.radius >= 0):
            raise ValueError(f"radius must be finite and >= 0 in row {self}")
        if self.predict == -1 and self.radius != 0:
            raise ValueError(f"an abstention must have radius 0 in row {self}")
        if self.correct not in (0, 1) or self.correct != int(self.predict == self.label):
            raise ValueError(f"correct must be 1 exactly when predict == label in row {self}")
        if not (math.isfinite(self.time) and self.time >= 0):
            raise ValueError(f"time must be finite and >= 0 in row {self}")
        return self


def format_row(row: Row) -> str:
    row.validate()
    return (f"{row.idx}\t{row.label}\t{row.predict}\t{float(row.radius)!r}\t{row.correct}\t"
            f"{float(row.time)!r}")


def parse_row(line: str) -> Row:
    fields = line.rstrip("\n").split("\t")
    if len(fields) < len(COLUMNS):
        raise ValueError(f"a row needs the columns {HEADER!r}, got {line!r}")
    try:
        row = Row(int(fields[0]), int(fields[1]), int(fields[2]), float(fields[3]), int(fields[4]),
                  float(fields[5]))
    except ValueError as exc:
        raise ValueError(f"malformed row {line!r}") from exc
    return row.validate()


def read_tsv(path, *, allow_partial: bool = False, require_rows: bool = False) -> list[Row]:
    """Validated rows of a certification TSV; every error names the file (and the line).

    With ``allow_partial`` a last line without its newline (a write cut short) is dropped instead
    of rejected. With ``require_rows`` a table without rows is an error (curves need images).
    """
    text = pathlib.Path(path).read_text()
    lines = text.split("\n")
    if lines[0].split("\t")[: len(COLUMNS)] != list(COLUMNS):
        raise ValueError(f"{path}: the header must start with {HEADER!r}")
    if lines[-1] and not allow_partial:
        raise ValueError(f"{path}: the last row is not terminated by a newline")
    rows = []
    for lineno, line in enumerate(lines[1:-1], start=2):
        try:
            rows.append(parse_row(line))
        except ValueError as exc:
            raise ValueError(f"{path}, line {lineno}: {exc}") from exc
    seen: set[int] = set()
    for row in rows:
        if row.idx in seen:
            raise ValueError(f"{path}: duplicate image indices ({row.idx} occurs twice)")
        seen.add(row.idx)
    if require_rows and not rows:
        raise ValueError(f"{path}: no certificates (the table has a header and no rows)")
    return rows


def write_tsv(path, rows) -> None:
    """Write a whole TSV atomically."""
    atomic_write_text(path, HEADER + "\n" + "".join(format_row(r) + "\n" for r in rows))


class TsvAppender:
    """Appends validated rows to a TSV (creating it with its header) and flushes each batch."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        if not self.path.exists():
            write_tsv(self.path, [])
        self._fh = open(self.path, "a")

    def write(self, rows) -> None:
        self._fh.write("".join(format_row(r) + "\n" for r in rows))
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _json_compact_lists(value, level: int = 0, indent: int = 2) -> str:
    """JSON with objects indented and sorted by key, and each list of scalars on one line.

    ``json.dumps(..., indent=2)`` would give every one of a run's image indices its own line.
    """
    pad, end = " " * (indent * (level + 1)), " " * (indent * level)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (f"{pad}{json.dumps(k)}: {_json_compact_lists(v, level + 1, indent)}"
                 for k, v in sorted(value.items()))
        return "{\n" + ",\n".join(items) + f"\n{end}}}"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return json.dumps(value)
        items = (pad + _json_compact_lists(v, level + 1, indent) for v in value)
        return "[\n" + ",\n".join(items) + f"\n{end}]"
    return json.dumps(value)


def manifest_text(manifest: dict) -> str:
    """The text :func:`write_manifest` writes: valid JSON, keys sorted, lists of scalars compact."""
    # A JSON round trip first gives exactly the values json.dumps would write (tuples become
    # lists, non-string keys strings) and rejects what JSON cannot hold.
    return _json_compact_lists(json.loads(json.dumps(manifest))) + "\n"


def write_manifest(out_dir, manifest: dict) -> pathlib.Path:
    path = pathlib.Path(out_dir) / MANIFEST
    atomic_write_text(path, manifest_text(manifest))
    return path


def read_manifest(run_dir) -> dict:
    """The manifest of ``run_dir``, whatever its JSON layout (older runs wrote one number a line)."""
    path = pathlib.Path(run_dir) / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"no {MANIFEST} in {run_dir}")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: a manifest is a JSON object, got {type(manifest).__name__}")
    return manifest


def _same_results(a: dict, b: dict) -> list[str]:
    return [k for k in RESULT_KEYS if a.get(k) != b.get(k)]


def resume_prefix(out_dir, manifest: dict) -> int:
    """How many of ``manifest['indices']`` are already certified in ``out_dir``.

    Checks that an existing manifest has the same settings, then truncates every protocol's TSV
    to the longest prefix of the index list present in all of them (a run killed between two
    files' writes, or in the middle of a line, leaves them uneven). Returns that prefix length;
    0 for a fresh directory.
    """
    out_dir = pathlib.Path(out_dir)
    if not (out_dir / MANIFEST).exists():
        stray = [p.name for p in out_dir.glob("*.tsv")] if out_dir.exists() else []
        if stray:
            raise ValueError(f"{out_dir} holds TSVs ({', '.join(sorted(stray))}) but no {MANIFEST}")
        return 0
    old = read_manifest(out_dir)
    diff = _same_results(old, manifest)
    if diff:
        raise ValueError(f"{out_dir} holds a run with different settings ({', '.join(diff)}); "
                         "use another output directory")
    indices = manifest["indices"]
    prefix = len(indices)
    tables = {}
    for name in manifest["protocols"]:
        path = out_dir / f"{name}.tsv"
        rows = read_tsv(path, allow_partial=True) if path.exists() else []
        done = 0
        for row, idx in zip(rows, indices):
            if row.idx != idx:
                raise ValueError(f"{path}: row for image {row.idx} where image {idx} was expected")
            done += 1
        if done < len(rows):
            raise ValueError(f"{path}: more rows than images")
        tables[name] = rows
        prefix = min(prefix, done)
    for name, rows in tables.items():
        path = out_dir / f"{name}.tsv"
        if len(rows) != prefix or not path.exists() or not path.read_text().endswith("\n"):
            write_tsv(path, rows[:prefix])
    return prefix


def shard_dir(run_dir, shard: tuple[int, int]) -> pathlib.Path:
    i, k = shard
    return pathlib.Path(run_dir) / "shards" / f"{i}-of-{k}"


def merge_shards(run_dir) -> dict[str, pathlib.Path]:
    """Join the complete shards under ``run_dir/shards`` into ``run_dir``'s TSVs and manifest.

    Every shard of one split must be present and complete and all must share the settings; the
    merged rows are in the order of the full index list, exactly those of an unsharded run (up
    to the ``time`` column).
    """
    run_dir = pathlib.Path(run_dir)
    shard_root = run_dir / "shards"
    dirs = sorted(p for p in shard_root.glob("*-of-*") if p.is_dir()) if shard_root.exists() else []
    if not dirs:
        raise FileNotFoundError(f"no shards under {shard_root}")
    manifests = [read_manifest(d) for d in dirs]
    ks = {m["shard"][1] for m in manifests}
    if len(ks) != 1:
        raise ValueError(f"shards of different splits in {shard_root}: {sorted(ks)}")
    k = ks.pop()
    found = sorted(m["shard"][0] for m in manifests)
    if found != list(range(k)):
        raise ValueError(f"need shards 0..{k - 1} of {k}, found {found}")
    by_shard = dict(sorted(((m["shard"][0], (d, m)) for d, m in zip(dirs, manifests))))
    first = by_shard[0][1]
    all_indices = first["all_indices"]
    for i, (d, m) in by_shard.items():
        if m.get("status") != "complete":
            raise ValueError(f"shard {d} is not complete")
        diff = [key for key in RESULT_KEYS if key != "indices" and m.get(key) != first.get(key)]
        if m["all_indices"] != all_indices:
            diff.append("all_indices")
        if diff:
            raise ValueError(f"shard {d} has different settings ({', '.join(diff)})")
    merged_indices = [idx for i in by_shard for idx in by_shard[i][1]["indices"]]
    if merged_indices != all_indices:
        raise ValueError("the shards' indices do not cover the run's index list in order")
    paths = {}
    for name in first["protocols"]:
        rows = []
        for i, (d, m) in by_shard.items():
            shard_rows = read_tsv(d / f"{name}.tsv")
            if [r.idx for r in shard_rows] != m["indices"]:
                raise ValueError(f"{d / (name + '.tsv')} does not hold the shard's images in order")
            rows.extend(shard_rows)
        paths[name] = run_dir / f"{name}.tsv"
        write_tsv(paths[name], rows)
    manifest = dict(first)
    manifest.update(indices=all_indices, shard=None, status="complete",
                    merged_from=[str(by_shard[i][0].relative_to(run_dir)) for i in by_shard],
                    device=sorted({m.get("device", "") for _, m in by_shard.values()}))
    manifest["elapsed_s"] = sum(m.get("elapsed_s", 0.0) for _, m in by_shard.values())
    write_manifest(run_dir, manifest)
    return paths
