"""`python -m customer_master.board_mapping {discover,check,validate}`: onboard a Monday account.

    discover  read the account's boards and columns and write a proposed mapping (every choice with
              its confidence and alternatives; what could not be matched marked for you to fill)
    check     validate a mapping against the live boards: per field the column found (by id or by
              title) and a sample of the values it would produce; exit 1 when it would not work
    validate  validate the mapping file alone (no network)

The Monday URL and API version come from the settings (MONDAY_API_URL, CM_ENV, MONDAY_API_VERSION),
the token from MONDAY_API_TOKEN; it is never printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from customer_master.board_mapping.catalog import ENTITIES, FIELDS
from customer_master.board_mapping.configured import configured_mapping
from customer_master.board_mapping.discover import propose, render_yaml
from customer_master.board_mapping.model import (
    BoardMapping,
    BoardMappingError,
    load_board_mapping,
    value_labels,
)
from customer_master.board_mapping.resolve import FieldResolution, resolve_entity
from customer_master.board_mapping.samples import cell_texts, field_values
from customer_master.monday import MondayAuthError, MondayClient, MondayError
from customer_master.monday.models import Board, ItemPage
from customer_master.settings import get_settings

SAMPLE_ITEMS = 100
SHOWN_VALUES = 3


def monday_client(sample_items: int) -> MondayClient:
    """The settings' Monday client reading `sample_items` items a page (use it in a `with`)."""
    try:
        return MondayClient.from_settings(get_settings(), page_limit=sample_items)
    except MondayAuthError as exc:  # MONDAY_API_TOKEN is not set: say how to get one, no traceback
        raise SystemExit(exc.reason) from None


def read_board(client: MondayClient, board_id: str) -> tuple[Board, ItemPage | None]:
    """The board's columns and its first page of items (a sample; None for an empty board)."""
    board = client.get_board(board_id)
    pages = client.iter_item_pages(board)
    try:
        return board, next(pages, None)
    finally:
        pages.close()


# --- discover -------------------------------------------------------------------------------------


def discover(board_ids: dict[str, str], out: Path, *, force: bool, sample_items: int, stdout: TextIO) -> int:
    if out.exists() and not force:
        print(f"{out} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    with monday_client(sample_items) as client:
        boards, samples = {}, {}
        for entity in ENTITIES:
            board, page = read_board(client, board_ids[entity])
            boards[entity] = board
            samples[entity] = cell_texts(page) if page is not None else {}
    proposal = propose(boards, samples)
    out.write_text(render_yaml(proposal), encoding="utf-8")
    matched = sum(1 for ps in proposal.fields.values() for p in ps if p.chosen)
    print(f"wrote {out}: {matched} fields matched", file=stdout)
    if proposal.unmatched_required:
        print(
            "fill in before use (marked REQUIRED): " + ", ".join(proposal.unmatched_required),
            file=stdout,
        )
    print(
        f"next: review it, then  python -m customer_master.board_mapping check --mapping {out}", file=stdout
    )
    return 0


# --- check ----------------------------------------------------------------------------------------


def _shown(values: Sequence[Any]) -> str:
    distinct = list(dict.fromkeys(str(v) for v in values if v is not None))
    more = f" (+{len(distinct) - SHOWN_VALUES} more)" if len(distinct) > SHOWN_VALUES else ""
    return ", ".join(distinct[:SHOWN_VALUES]) + more


def _canonical(mapping: BoardMapping, fr: FieldResolution) -> dict[str, str] | None:
    if not FIELDS[fr.entity][fr.field].value_sets:
        return None
    f = mapping.entity(fr.entity).fields.get(fr.field)
    if f is None:
        return None
    return {
        label.strip().lower(): c
        for c, labels in value_labels(fr.entity, fr.field, f).items()
        for label in labels
    }


def check_entity(
    mapping: BoardMapping, entity: str, board: Board, page: ItemPage | None, stdout: TextIO
) -> tuple[list[str], list[str]]:
    """Print one board's fields; return (errors, warnings)."""
    resolution = resolve_entity(mapping, entity, board.columns, board_name=board.name)
    errors, warnings = list(resolution.all_errors), list(resolution.all_warnings)
    active = 0 if page is None else sum(1 for s in page.items["state"] if s == "active")
    print(
        f"\n{entity}: board {board.id} {board.name!r} ({board.items_count} items; {active} sampled)",
        file=stdout,
    )
    print(f"  {'field':<24}{'column':<36}{'found by':<11}{'filled':<9}sample values", file=stdout)
    for fr in resolution.fields:
        name = fr.field + (" *" if fr.required else "")
        if fr.resolved_by == "unmapped":
            print(f"  {name:<24}{'-':<36}{'not mapped':<11}", file=stdout)
            continue
        if fr.column is None:
            column = f"{fr.mapped_column_id} {fr.mapped_title!r}"
            print(f"  {name:<24}{column[:35]:<36}{'MISSING':<11}", file=stdout)
            continue
        column = f"{fr.column.id} {fr.column.title!r}"
        values = field_values(page, fr, _canonical(mapping, fr)) if page is not None else []
        filled = sum(1 for v in values if v is not None)
        share = f"{filled}/{len(values)}"
        print(f"  {name:<24}{column[:35]:<36}{fr.resolved_by:<11}{share:<9}{_shown(values)}", file=stdout)
        if fr.required and values and filled == 0:
            errors.append(
                f"{entity}.{fr.field} ({fr.where}): empty on all {len(values)} sampled active items of "
                f"column {fr.column.id!r} with kind {fr.kind!r}: wrong column or kind"
            )
    return errors, warnings


def check(mapping: BoardMapping, *, sample_items: int, stdout: TextIO) -> int:
    errors: list[str] = []
    warnings: list[str] = []
    with monday_client(sample_items) as client:
        for entity in ENTITIES:
            board_id = mapping.board_ids[entity]
            try:
                board, page = read_board(client, board_id)
            except MondayError as exc:
                errors.append(
                    f"{entity} ({mapping.board_where(entity)}): board {board_id} cannot be read: {exc}"
                )
                continue
            e, w = check_entity(mapping, entity, board, page, stdout)
            errors += e
            warnings += w
    print("\n* required", file=stdout)
    for title, lines in (("warnings", warnings), ("errors", errors)):
        if lines:
            print(f"\n{title}:", file=stdout)
            for line in lines:
                print(f"  - {line}", file=stdout)
    verdict = "does NOT fit" if errors else "fits"
    print(
        f"\n{mapping.path} {verdict} the live boards ({len(errors)} errors, {len(warnings)} warnings)",
        file=stdout,
    )
    return 1 if errors else 0


# --- entry point ----------------------------------------------------------------------------------


def _load(path: Path | None) -> BoardMapping:
    return load_board_mapping(path) if path is not None else configured_mapping()


def main(argv: list[str] | None = None, stdout: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m customer_master.board_mapping", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("discover", help="propose a mapping from the account's boards")
    for entity in ENTITIES:
        d.add_argument(
            f"--{entity}", required=True, metavar="BOARD_ID", help=f"the {entity} board id (in its URL)"
        )
    d.add_argument("--out", type=Path, required=True, help="where to write the proposed mapping")
    d.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    d.add_argument("--sample", type=int, default=SAMPLE_ITEMS, help="items read per board for evidence")
    c = sub.add_parser("check", help="validate a mapping against the live boards")
    c.add_argument("--mapping", type=Path, help="the mapping file (default: CM_BOARD_MAPPING)")
    c.add_argument("--sample", type=int, default=SAMPLE_ITEMS, help="items read per board for samples")
    v = sub.add_parser("validate", help="validate a mapping file offline")
    v.add_argument("--mapping", type=Path, help="the mapping file (default: CM_BOARD_MAPPING)")
    args = parser.parse_args(argv)
    try:
        if args.command == "discover":
            ids = {entity: str(getattr(args, entity)).strip() for entity in ENTITIES}
            bad = [f"--{e} {i!r}" for e, i in ids.items() if not i.isdigit()]
            if bad:
                parser.error("board ids are the numbers in the board URLs: " + ", ".join(bad))
            return discover(ids, args.out, force=args.force, sample_items=args.sample, stdout=stdout)
        mapping = _load(args.mapping)
        if args.command == "validate":
            fields = sum(len(e.mapped()) for e in mapping.entities.values())
            print(
                f"{mapping.path} is valid: {fields} fields mapped on boards {mapping.board_ids}", file=stdout
            )
            return 0
        return check(mapping, sample_items=args.sample, stdout=stdout)
    except BoardMappingError as exc:
        print(exc, file=sys.stderr)
        return 2
    except MondayError as exc:
        print(f"Monday API: {exc}", file=sys.stderr)
        return 2
