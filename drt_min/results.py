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

from drt_min.atomic import atomic_write_group, atomic_write_text, with_filename
from drt_min.errors import SAFE_NAME, MissingInputError, UserError, child_path, one_line
from drt_min.lock import DirectoryLock
from drt_min.smoothing import max_certifiable_radius

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
    "RESULT_DEFAULTS",
    "validate_manifest",
    "max_radius",
    "check_radii",
    "check_classes",
    "check_labels",
    "check_against_checkpoint",
    "check_dataset_labels",
    "read_certificates",
    "remove_stale_temporaries",
    "MAX_INDEX",
]

COLUMNS = ("idx", "label", "predict", "radius", "correct", "time")
HEADER = "\t".join(COLUMNS)
MANIFEST = "manifest.json"

#: Bounds of the integers of a manifest and a TSV row (above them no run of this package can exist;
#: Python would read any integer, and ``n = 10**400`` would overflow in the statistics).
MAX_INDEX = 2**62       # image indices and seeds: [0, 2**62), as the configuration's seeds
MAX_SAMPLES = 10**9     # n0, n, noise_block: the configuration's cap on cert_n0 and cert_n
MAX_MEMBERS = 64        # drt_min.checkpoint.MAX_MEMBERS
MAX_CLASSES = 1000      # drt_min.checkpoint.MAX_CLASSES
MAX_SHARDS = 10**6

#: Manifest keys that determine the certificates; a resumed run or a merged shard must match them.
RESULT_KEYS = ("sigma", "n0", "n", "alpha", "seed", "noise_block", "indices", "weights",
               "protocols", "num_classes", "extra", "precision")
#: Result keys added later, with the value that a manifest written before them means.
RESULT_DEFAULTS = {"precision": "fp32"}


@dataclass(frozen=True)
class Row:
    idx: int
    label: int
    predict: int
    radius: float
    correct: int
    time: float

    def validate(self) -> "Row":
        if not (0 <= self.idx < MAX_INDEX and 0 <= self.label < MAX_CLASSES
                and -1 <= self.predict < MAX_CLASSES):
            raise UserError(f"invalid indices or classes in row {self} (an index lies in "
                            f"[0, 2**62), a class in [0, {MAX_CLASSES}), a prediction may be -1)")
        if not (math.isfinite(self.radius) and self.radius >= 0):
            raise UserError(f"radius must be finite and >= 0 in row {self}")
        if self.predict == -1 and self.radius != 0:
            raise UserError(f"an abstention must have radius 0 in row {self}")
        if self.correct not in (0, 1) or self.correct != int(self.predict == self.label):
            raise UserError(f"correct must be 1 exactly when predict == label in row {self}")
        if not (math.isfinite(self.time) and self.time >= 0):
            raise UserError(f"time must be finite and >= 0 in row {self}")
        return self


def format_row(row: Row) -> str:
    row.validate()
    return (f"{row.idx}\t{row.label}\t{row.predict}\t{float(row.radius)!r}\t{row.correct}\t"
            f"{float(row.time)!r}")


def parse_row(line: str) -> Row:
    fields = line.rstrip("\n").split("\t")
    if len(fields) < len(COLUMNS):
        raise UserError(f"a row needs the columns {HEADER!r}, got {line!r}")
    try:
        row = Row(int(fields[0]), int(fields[1]), int(fields[2]), float(fields[3]), int(fields[4]),
                  float(fields[5]))
    except ValueError as exc:
        raise UserError(f"malformed row {line!r}") from exc
    return row.validate()


def read_tsv(path, *, allow_partial: bool = False, require_rows: bool = False) -> list[Row]:
    """Validated rows of a certification TSV; every error names the file (and the line).

    With ``allow_partial`` a last line without its newline (a write cut short) is dropped instead
    of rejected. With ``require_rows`` a table without rows is an error (curves need images).
    """
    path = pathlib.Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise MissingInputError(f"{path} not found; the run is incomplete (resume it, or merge "
                                "its shards)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} cannot be read as a TSV ({one_line(exc)})") from exc
    lines = text.split("\n")
    if lines[0].split("\t")[: len(COLUMNS)] != list(COLUMNS):
        raise UserError(f"{path}: the header must start with {HEADER!r}")
    if lines[-1] and not allow_partial:
        raise UserError(f"{path}: the last row is not terminated by a newline")
    rows = []
    for lineno, line in enumerate(lines[1:-1], start=2):
        try:
            rows.append(parse_row(line))
        except ValueError as exc:
            raise UserError(f"{path}, line {lineno}: {exc}") from exc
    seen: set[int] = set()
    for row in rows:
        if row.idx in seen:
            raise UserError(f"{path}: duplicate image indices ({row.idx} occurs twice)")
        seen.add(row.idx)
    if require_rows and not rows:
        raise UserError(f"{path}: no certificates (the table has a header and no rows)")
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
        text = "".join(format_row(r) + "\n" for r in rows)
        try:
            self._fh.write(text)
            self._fh.flush()
        except OSError as exc:  # a full disk: the cut row is dropped when the run is resumed
            raise with_filename(exc, self.path) from exc

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


def read_manifest(run_dir, *, validate: bool = True) -> dict:
    """The manifest of ``run_dir``, whatever its JSON layout (older runs wrote one number a line),
    checked against :func:`validate_manifest`."""
    path = pathlib.Path(run_dir) / MANIFEST
    if not path.exists():
        raise MissingInputError(f"no {MANIFEST} in {run_dir}; give the directory that `certify` "
                                "or `merge` wrote")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise UserError(f"{path}: not valid JSON ({one_line(exc)})") from exc
    except OSError as exc:
        raise UserError(f"{path} cannot be read ({one_line(exc)})") from exc
    if validate:
        validate_manifest(manifest, path)
    return manifest


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v))


def _check(ok: bool, path, key: str, rule: str, value) -> None:
    if not ok:
        text = repr(value)
        text = text if len(text) <= 60 else text[:57] + "..."
        raise UserError(f"{path}: {key} must be {rule}, got {text}; the manifest is corrupt "
                        "(certify again into a new directory)")


def validate_manifest(manifest, path=MANIFEST) -> dict:
    """Check a manifest's schema: required keys, their types and ranges, safe protocol names.

    Required: ``sigma`` (> 0), ``n0``, ``n`` (integers >= 1), ``alpha`` (in (0, 1)), ``seed``
    (integer), ``indices`` (distinct integers >= 0), ``protocols`` (distinct plain names, see
    :data:`drt_min.errors.SAFE_NAME`). Checked when present: ``all_indices``, ``shard``,
    ``weights``, ``num_members``, ``num_classes``, ``noise_block``, ``status``, ``elapsed_s``,
    ``extra``, ``precision``. Returns the manifest.
    """
    if not isinstance(manifest, dict):
        raise UserError(f"{path}: a manifest is a JSON object, got {type(manifest).__name__}")
    missing = [k for k in ("sigma", "n0", "n", "alpha", "seed", "indices", "protocols")
               if k not in manifest]
    if missing:
        raise UserError(f"{path}: the manifest lacks {', '.join(missing)}; it is corrupt or "
                        "not written by drt_min")
    m = manifest
    _check(_is_num(m["sigma"]) and m["sigma"] > 0, path, "sigma", "a finite number > 0",
           m["sigma"])
    for key in ("n0", "n"):
        _check(_is_int(m[key]) and 1 <= m[key] <= MAX_SAMPLES, path, key,
               "an integer in [1, 10**9]", m[key])
    _check(_is_num(m["alpha"]) and 0 < m["alpha"] < 1, path, "alpha", "a number in (0, 1)",
           m["alpha"])
    _check(_is_int(m["seed"]) and 0 <= m["seed"] < MAX_INDEX, path, "seed",
           "an integer in [0, 2**62)", m["seed"])
    for key in ("indices", "all_indices"):
        if key in m:
            v = m[key]
            _check(isinstance(v, list) and all(_is_int(i) and 0 <= i < MAX_INDEX for i in v)
                   and len(set(v)) == len(v), path, key,
                   "a list of distinct integers in [0, 2**62)", v)
    protocols = m["protocols"]
    _check(isinstance(protocols, list) and protocols and len(set(map(repr, protocols)))
           == len(protocols) and all(isinstance(x, str) and SAFE_NAME.fullmatch(x)
                                     for x in protocols),
           path, "protocols", "a non-empty list of distinct plain names (letters, digits, _ -)",
           protocols)
    if m.get("shard") is not None:
        s = m["shard"]
        _check(isinstance(s, list) and len(s) == 2 and all(map(_is_int, s))
               and 1 <= s[1] <= MAX_SHARDS and 0 <= s[0] < s[1], path, "shard",
               "null or [i, k] with 0 <= i < k <= 10**6", s)
    for key, low, high in (("num_members", 1, MAX_MEMBERS), ("num_classes", 2, MAX_CLASSES),
                           ("noise_block", 1, MAX_SAMPLES)):
        if key in m:
            _check(_is_int(m[key]) and low <= m[key] <= high, path, key,
                   f"an integer in [{low}, {high}]", m[key])
    if "weights" in m:
        w = m["weights"]
        # the WE weights as certify_dataset wrote them: normalised, one per member
        _check(isinstance(w, list) and 1 <= len(w) <= MAX_MEMBERS
               and all(_is_num(x) and x >= 0 for x in w) and abs(math.fsum(w) - 1) <= 1e-9,
               path, "weights", "a list of finite numbers >= 0 summing to 1", w)
        if "num_members" in m:
            _check(len(w) == m["num_members"], path, "weights",
                   f"a list of num_members = {m['num_members']} numbers", w)
    if "status" in m:
        _check(m["status"] in ("running", "complete"), path, "status",
               "'running' or 'complete'", m["status"])
    if "elapsed_s" in m:
        _check(_is_num(m["elapsed_s"]) and m["elapsed_s"] >= 0, path, "elapsed_s",
               "a finite number >= 0", m["elapsed_s"])
    if "precision" in m:
        _check(m["precision"] in ("fp32", "bf16"), path, "precision", "'fp32' or 'bf16'",
               m["precision"])
    if "extra" in m:
        _check(m["extra"] is None or isinstance(m["extra"], dict), path, "extra",
               "null or an object", m["extra"])
    return manifest


def max_radius(manifest: dict) -> float:
    """The largest radius the manifest's n, alpha and sigma allow: sigma * Phi^-1(alpha^(1/n))."""
    return max_certifiable_radius(manifest["n"], manifest["alpha"], manifest["sigma"])


def check_radii(rows, manifest: dict, path) -> list[Row]:
    """Reject rows whose radius no certificate of the manifest's n, alpha, sigma can reach."""
    bound = max_radius(manifest)
    limit = bound * (1 + 1e-9) + 1e-12
    for row in rows:
        if row.radius > limit:
            raise UserError(f"{path}: image {row.idx} has radius {row.radius!r}, above "
                            f"{bound:.6g}, the largest that n = {manifest['n']}, alpha = "
                            f"{manifest['alpha']}, sigma = {manifest['sigma']} allow; the TSV "
                            "does not belong to this manifest or was altered")
    return rows


def check_classes(rows, manifest: dict, path) -> list[Row]:
    """Reject rows whose label or prediction is not a class of the manifest's ``num_classes``
    (a row with predict = label = 77 of 3 classes would count as certified and correct)."""
    classes = manifest.get("num_classes")
    if classes is None:
        return rows
    for row in rows:
        if row.label >= classes or row.predict >= classes:
            raise UserError(f"{path}: image {row.idx} has label {row.label} and prediction "
                            f"{row.predict}, but the run has {classes} classes (0 to "
                            f"{classes - 1}); the TSV does not belong to this manifest or was "
                            "altered")
    return rows


def check_labels(tables: dict, run_dir=None) -> None:
    """Every protocol's TSV must give each image the same label (one changed label would go
    unnoticed in that protocol's accuracy). ``tables``: protocol -> rows of ``run_dir``, or,
    without ``run_dir``, TSV path -> rows (tables of several runs, as ``compare`` pairs them)."""
    def where(key):
        return pathlib.Path(run_dir) / f"{key}.tsv" if run_dir is not None else key

    reference = None
    for key, rows in tables.items():
        labels = {r.idx: r.label for r in rows}
        if reference is None:
            reference = (key, labels)
            continue
        for idx, label in labels.items():
            other = reference[1].get(idx)
            if other is not None and other != label:
                raise UserError(f"{where(key)}: image {idx} has label {label}, but "
                                f"{where(reference[0])} gives it label {other}; the TSVs were "
                                "altered or do not belong together")


def check_against_checkpoint(manifest: dict, meta: dict, path) -> None:
    """The manifest describes the checkpoint ``meta`` (:func:`drt_min.checkpoint.load_ensemble`):
    the same number of members and classes, and one WE weight per member."""
    for key in ("num_members", "num_classes"):
        if key in manifest and manifest[key] != meta[key]:
            raise UserError(f"{path}: {key} is {manifest[key]}, but the checkpoint "
                            f"{meta.get('path', '')} has {meta[key]}; the certificates do not "
                            "belong to this checkpoint (certify it again)")
    weights = manifest.get("weights")
    if weights is not None and len(weights) != meta["num_members"]:
        raise UserError(f"{path}: weights has {len(weights)} entries, but the checkpoint "
                        f"{meta.get('path', '')} has {meta['num_members']} members; the "
                        "certificates do not belong to this checkpoint (certify it again)")


def check_dataset_labels(tables: dict, labels, run_dir, split: str) -> None:
    """Every row's image index and label agree with the data set the run certified."""
    for name, rows in tables.items():
        for row in rows:
            if row.idx >= len(labels) or int(labels[row.idx]) != row.label:
                truth = int(labels[row.idx]) if row.idx < len(labels) else "none (no such image)"
                raise UserError(f"{pathlib.Path(run_dir) / (name + '.tsv')}: image {row.idx} has "
                                f"label {row.label}, but in the {split} data its label is {truth}; "
                                "the TSV was altered or belongs to other data")


def read_certificates(run_dir, name: str, manifest: dict | None = None, *,
                      require_rows: bool = True) -> list[Row]:
    """The rows of protocol ``name`` in ``run_dir``: the file name checked to stay inside the
    directory, rows validated, radii checked against the manifest's bound and classes against
    its number of classes."""
    manifest = read_manifest(run_dir) if manifest is None else manifest
    path = child_path(run_dir, name, ".tsv", what="protocol")
    rows = read_tsv(path, require_rows=require_rows)
    return check_classes(check_radii(rows, manifest, path), manifest, path)


def _comparable(manifest: dict, key: str):
    """A manifest's value of ``key`` as resuming compares it. Left out: the checkpoint's recorded
    path (its sha256 identifies it, and a moved run directory changes the path) and the forward
    batch size ``cert_batch`` (it changes no certificate, and a run that ran out of memory is
    resumed with a smaller one). A key added later (:data:`RESULT_DEFAULTS`; ``cert_precision``
    inside ``extra.protocol``) takes the value it meant before, so an older run still resumes and
    merges."""
    value = manifest.get(key, RESULT_DEFAULTS.get(key))
    if key == "extra" and isinstance(value, dict):
        value = json.loads(json.dumps(value))
        if isinstance(value.get("protocol"), dict):
            value["protocol"] = {"cert_precision": "fp32", **value["protocol"]}
        value.pop("checkpoint", None)
        for holder in (value.get("protocol"), (value.get("run_config") or {}).get("certify")):
            if isinstance(holder, dict):
                holder.pop("cert_batch", None)
    return value


def _same_results(a: dict, b: dict) -> list[str]:
    return [k for k in RESULT_KEYS if _comparable(a, k) != _comparable(b, k)]


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
            raise UserError(f"{out_dir} holds TSVs ({', '.join(sorted(stray))}) but no {MANIFEST}")
        return 0
    old = read_manifest(out_dir)
    diff = _same_results(old, manifest)
    if diff:
        raise UserError(f"{out_dir} holds a run with different settings ({', '.join(diff)}); "
                         "use another output directory")
    indices = manifest["indices"]
    prefix = len(indices)
    tables = {}
    for name in manifest["protocols"]:
        path = child_path(out_dir, name, ".tsv", what="protocol")
        rows = check_classes(check_radii(read_tsv(path, allow_partial=True), manifest, path),
                             manifest, path) if path.exists() else []
        done = 0
        for row, idx in zip(rows, indices):
            if row.idx != idx:
                raise UserError(f"{path}: row for image {row.idx} where image {idx} was expected")
            done += 1
        if done < len(rows):
            raise UserError(f"{path}: more rows than images")
        tables[name] = rows
        prefix = min(prefix, done)
    for name, rows in tables.items():
        path = child_path(out_dir, name, ".tsv", what="protocol")
        if len(rows) != prefix or not path.exists() or not path.read_text().endswith("\n"):
            write_tsv(path, rows[:prefix])
    return prefix


def remove_stale_temporaries(run_dir, protocols) -> None:
    """Remove the temporary files (:mod:`drt_min.atomic`) of the manifest and the protocols' TSVs
    that a process killed while it wrote them left behind. Call it holding the directory's lock:
    then no live process owns them."""
    run_dir = pathlib.Path(run_dir)
    for name in [MANIFEST] + [f"{p}.tsv" for p in protocols if SAFE_NAME.fullmatch(p)]:
        for stale in run_dir.glob(f".{name}.*.tmp"):
            stale.unlink(missing_ok=True)


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
        raise MissingInputError(f"no shards under {shard_root}")
    manifests = [read_manifest(d) for d in dirs]
    for d, m in zip(dirs, manifests):
        for key in ("shard", "all_indices", "status"):
            if m.get(key) is None:
                raise UserError(f"{d / MANIFEST}: a shard's manifest needs {key}")
    ks = {m["shard"][1] for m in manifests}
    if len(ks) != 1:
        raise UserError(f"shards of different splits in {shard_root}: {sorted(ks)}")
    k = ks.pop()
    found = sorted(m["shard"][0] for m in manifests)
    if found != list(range(k)):
        raise UserError(f"need shards 0..{k - 1} of {k}, found {found}")
    by_shard = dict(sorted(((m["shard"][0], (d, m)) for d, m in zip(dirs, manifests))))
    first = by_shard[0][1]
    all_indices = first["all_indices"]
    for i, (d, m) in by_shard.items():
        if m.get("status") != "complete":
            raise UserError(f"shard {d} is not complete; resume it with the same `certify` command")
        diff = [key for key in RESULT_KEYS
                if key != "indices" and _comparable(m, key) != _comparable(first, key)]
        if m["all_indices"] != all_indices:
            diff.append("all_indices")
        if diff:
            raise UserError(f"shard {d} has different settings ({', '.join(diff)})")
    merged_indices = [idx for i in by_shard for idx in by_shard[i][1]["indices"]]
    if merged_indices != all_indices:
        raise UserError("the shards' indices do not cover the run's index list in order")
    # Read and check every input before anything is written: a bad shard leaves run_dir as it was.
    tables = {}
    for name in first["protocols"]:
        rows = []
        for i, (d, m) in by_shard.items():
            shard_rows = read_certificates(d, name, m)
            if [r.idx for r in shard_rows] != m["indices"]:
                raise UserError(f"{d / (name + '.tsv')} does not hold the shard's images in order")
            rows.extend(shard_rows)
        tables[name] = (child_path(run_dir, name, ".tsv", what="protocol"), rows)
    check_labels({name: rows for name, (_, rows) in tables.items()}, run_dir)
    manifest = dict(first)
    manifest.update(indices=all_indices, shard=None, status="complete",
                    merged_from=[str(by_shard[i][0].relative_to(run_dir)) for i in by_shard],
                    device=sorted({str(m.get("device", "")) for _, m in by_shard.values()}))
    manifest["elapsed_s"] = sum(float(m.get("elapsed_s", 0.0)) for _, m in by_shard.values())
    text = manifest_text(manifest)
    with DirectoryLock(run_dir, "run directory"):
        remove_stale_temporaries(run_dir, first["protocols"])
        atomic_write_group({path: HEADER + "\n" + "".join(format_row(r) + "\n" for r in rows)
                            for path, rows in tables.values()}, run_dir / MANIFEST, text)
    return {name: path for name, (path, _) in tables.items()}
