"""Deterministic query cost estimate (the sandbox's stand-in for Monday's complexity points).

Formula, computed from the validated document and the request's variables only (never the data):

    cost(query)      = max(1, cost(root selection))
    cost(selection)  = sum over selected *entity* fields f of  n(f) * (1 + cost(f's selection))
                       (scalar/enum fields, `__typename` and the value-part objects inside a column
                        value - label_style, values, persons_and_teams - are free; `complexity`
                        itself is free)
    cost(selection on ColumnValue) = the maximum over the concrete value types of the cost of
                        the fields that apply to that type (fragments by type condition)
    n(f)             = the list size the query asks for:
        items_page / next_items_page      1, and their `items` list counts `limit` (default 25)
        a list field with `ids` given     len(ids), at most `limit` where the field takes one
        a list field with a `limit`       limit (boards, items, workspaces, updates: default 25;
                                          users, team users: no default, counted as 25)
        other list fields       column_values 10, columns 10, groups 5, linked_items 10,
                                tags 10, teams 5, user teams 3, team owners 3, board owners 3,
                                board subscribers 25, item subscribers 3,
                                values, persons_and_teams, versions 3
        any other object field  1 (board workspace, top_group, item creator, ...)

A mutation costs MUTATION_COST (10,000) points per root mutation field, plus its selection as
above (Monday charges mutations a flat fee too; 10,000 is the sandbox's documented choice, so a
minute's default budget allows ~1,000 mutations).

So a full orders page — `items_page(limit: 500) { items { id name group { id } column_values {
id text value column { id title } ... on StatusValue { label label_style { color } } } } }` —
costs 1 + 500 * (1 + 1 + 10 * (1 + 1)) = 11,001 points: ~900 pages per minute under the default
10M budget (Monday's observed ~50 points per item for a 120-column board is of the same order).
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
)
from graphql.execution.values import get_argument_values

MAX_QUERY_COMPLEXITY = 5_000_000
MUTATION_COST = 10_000
FREE_OBJECT_TYPES = frozenset({"StatusLabelStyle", "DropdownValueOption", "PeopleEntity", "Complexity"})

DEFAULT_LIMIT = 25
# List sizes of list fields whose query gives neither `ids` nor a `limit`.
_FIXED = {
    ("Board", "columns"): 10,
    ("Board", "groups"): 5,
    ("Board", "owners"): 3,
    ("Board", "subscribers"): 25,
    ("Board", "tags"): 10,
    ("Item", "column_values"): 10,
    ("Item", "subscribers"): 3,
    ("BoardRelationValue", "linked_items"): 10,
    ("DropdownValue", "values"): 3,
    ("PeopleValue", "persons_and_teams"): 3,
    ("Query", "versions"): 3,
    ("Query", "tags"): 10,
    ("Query", "teams"): 5,
    ("User", "teams"): 3,
    ("Team", "owners"): 3,
}


def _multiplier(
    parent: str, name: str, is_list: bool, takes_limit: bool, args: dict, page_limit: int | None
) -> tuple[int, int | None]:
    """(list size estimate, limit passed down to an ItemsResponse.items below)."""
    if name in ("items_page", "next_items_page"):
        return 1, int(args.get("limit") or DEFAULT_LIMIT)
    if parent == "ItemsResponse" and name == "items":
        return (page_limit or DEFAULT_LIMIT), None
    if not is_list:
        return 1, None
    ids = args.get("ids")
    limit = int(args.get("limit") or DEFAULT_LIMIT) if takes_limit else None
    if ids is not None:
        return (min(len(ids), limit) if limit is not None else len(ids)), None
    if limit is not None:
        return limit, None
    return _FIXED.get((parent, name), 1), None


def estimate_complexity(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict,
) -> int:
    root = schema.mutation_type if operation.operation == OperationType.MUTATION else schema.query_type
    assert root is not None
    return max(1, _cost(schema, operation.selection_set, root, fragments, variables, None, frozenset()))


def _cost(schema, selection_set: SelectionSetNode, parent, fragments, variables, page_limit, seen) -> int:
    if is_abstract_type(parent):
        return max(
            (
                _cost(schema, selection_set, t, fragments, variables, page_limit, seen)
                for t in schema.get_possible_types(parent)
            ),
            default=0,
        )
    total = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            name = sel.name.value
            if name.startswith("__") or sel.selection_set is None:
                continue
            if parent.name in ("Query", "Mutation") and name == "complexity":
                continue
            if parent.name == "Mutation":
                total += MUTATION_COST
            fields = getattr(parent, "fields", None) or {}
            fdef = fields.get(name)
            if fdef is None:
                continue
            named = get_named_type(fdef.type)
            if is_leaf_type(named) or named.name in FREE_OBJECT_TYPES:
                continue
            try:
                args = get_argument_values(fdef, sel, variables)
            except Exception:  # noqa: BLE001 - invalid args are reported by execution, cost them as defaults
                args = {}
            n, child_limit = _multiplier(
                parent.name,
                name,
                is_list_type(get_nullable_type(fdef.type)),
                "limit" in fdef.args,
                args,
                page_limit,
            )
            total += n * (
                1 + _cost(schema, sel.selection_set, named, fragments, variables, child_limit, seen)
            )
        elif isinstance(sel, InlineFragmentNode):
            if _applies(schema, sel.type_condition.name.value if sel.type_condition else None, parent):
                total += _cost(schema, sel.selection_set, parent, fragments, variables, page_limit, seen)
        elif isinstance(sel, FragmentSpreadNode):
            fname = sel.name.value
            frag = fragments.get(fname)
            if frag is None or fname in seen:
                continue
            if _applies(schema, frag.type_condition.name.value, parent):
                total += _cost(
                    schema, frag.selection_set, parent, fragments, variables, page_limit, seen | {fname}
                )
    return total


def _applies(schema: GraphQLSchema, type_condition: str | None, parent) -> bool:
    """Does a fragment with this type condition apply to the concrete type `parent`?"""
    if type_condition is None:
        return True
    cond = schema.get_type(type_condition)
    if cond is None:
        return False
    if cond is parent:
        return True
    # isinstance rather than is_abstract_type (the same test): it narrows the type for is_sub_type.
    return isinstance(cond, GraphQLInterfaceType | GraphQLUnionType) and schema.is_sub_type(cond, parent)
