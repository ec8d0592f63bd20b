"""Compiled executor for validated queries: the sandbox's fast path.

graphql-core's generic executor costs several microseconds per field; a 500-item page with ten
typed column values is ~40,000 fields, far too slow for the extraction benchmark. This module
walks a *validated* operation once into a plan (response keys honouring aliases, inline fragments
by type condition, named fragments, `__typename`, static or variable arguments, merged duplicate
fields, the CollectFields order) and executes it with the same getters graphql-core uses
(`resolvers.GETTERS`). The hot spots are generated code: per selection and column type a
renderer building exactly the selected keys of a column value (from `values.SPECS`, the same
description graphql-core's renderers come from), per board one function rendering an item's
whole `column_values` list, and per Item selection one function with attribute reads inlined.

Anything the plan does not model raises `Unsupported` at compile time (introspection, @skip /
@include, mutations, abstract types other than `Item.column_values`), and the engine runs
graphql-core's `execute` instead. Tests assert both produce the same JSON for representative
queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
)
from graphql.execution.values import get_argument_values
from graphql.language import ListValueNode, ObjectValueNode

from customer_master.sandbox.model import STATE_NAMES
from customer_master.sandbox.resolvers import GETTERS, Ctx, Getter, select_columns
from customer_master.sandbox.values import (
    compile_renderer,
    full_renderer,
    graphql_type_for,
    malform,
    malformed_hash,
    stamps,
)

LEAF, OBJ, LIST, TYPENAME, CVLIST = range(5)


class Unsupported(Exception):
    """The fast path does not model this query; use graphql-core."""


class FNode:
    __slots__ = (
        "key",
        "name",
        "kind",
        "getter",
        "fdef",
        "ast",
        "args",
        "dynamic",
        "child",
        "variants",
        "typename",
        "prepared",
    )

    def __init__(self, key: str, name: str, kind: int, getter: Getter) -> None:
        self.key = key
        self.name = name
        self.kind = kind
        self.getter = getter
        self.fdef: GraphQLField | None = None  # fdef and ast: every kind but TYPENAME
        self.ast: FieldNode | None = None
        self.args: dict[str, Any] = {}
        self.dynamic = False
        self.child: ObjPlan | None = None  # OBJ and LIST
        self.variants: dict[str, ObjPlan] = {}  # CVLIST: ColumnValue type name -> plan
        self.typename: str | None = None  # TYPENAME
        self.prepared: dict[tuple[object, ...], _Prepared] = {}  # CVLIST: see _prepare


class ObjPlan:
    __slots__ = ("type_name", "fields", "renderers", "_item_renderer")

    def __init__(self, type_name: str, fields: list[FNode]) -> None:
        self.type_name = type_name
        self.fields = fields
        self.renderers: dict[str, Callable[..., dict[str, Any]]] = {}  # column values only: by column type
        self._item_renderer: Callable[[Any, _Run], dict[str, Any]] | None = None

    def item_renderer(self) -> Callable[[Any, _Run], dict[str, Any]]:
        """Item plans only: a generated `render_item(item, run)` with attribute reads inlined."""
        if self._item_renderer is None:
            self._item_renderer = _compile_item_renderer(self)
        return self._item_renderer

    def renderer(self, column_type: str) -> Callable[..., dict[str, Any]]:
        """A generated `render(col, raw, iso, changed, ws, run)` building exactly this selection."""
        fn = self.renderers.get(column_type)
        if fn is None:
            selection: list[tuple[str, str, Callable[..., Any] | None]] = []
            for f in self.fields:
                if f.kind == TYPENAME:
                    selection.append((f.key, "__typename", None))
                elif f.name == "column":
                    selection.append((f.key, "column", _column_nested(f)))
                elif f.kind == LEAF:
                    selection.append((f.key, f.name, None))
                else:
                    selection.append((f.key, f.name, _object_nested(f)))
            fn = self.renderers[column_type] = compile_renderer(column_type, selection)
        return fn


def _column_nested(f: FNode) -> Callable[..., Any]:
    child = f.child
    assert child is not None  # `column` is an object field
    fid = id(f)

    def nested(run, col, _value):
        memo_key = (fid, col.id)
        rendered = run.column_memo.get(memo_key)
        if rendered is None:
            rendered = run.column_memo[memo_key] = _run_obj(child, col, run)
        return rendered

    return nested


# Value-part objects rendered as plain dicts, with the key order the renderers produce.
_DICT_TYPES = {
    "StatusLabelStyle": ("color", "border"),
    "DropdownValueOption": ("id", "label"),
    "PeopleEntity": ("id", "kind"),
}


def _object_nested(f: FNode) -> Callable[..., Any]:
    child = f.child
    assert child is not None  # an object or list field
    source_keys = _DICT_TYPES.get(child.type_name)
    if source_keys is not None and all(c.kind in (LEAF, TYPENAME) for c in child.fields):
        pairs = [(c.key, c.name) for c in child.fields if c.kind == LEAF]
        if [(c.kind, c.key, c.name) for c in child.fields] == [(LEAF, k, k) for k in source_keys]:
            # The selection is the source dict itself (same keys, same order): no copy needed.
            return lambda run, col, value: value
        consts = [(c.key, c.typename) for c in child.fields if c.kind == TYPENAME]
        if consts:
            order = [c.key for c in child.fields]

            def project(v):
                d = {k: v[n] for k, n in pairs}
                d.update(consts)
                return {k: d[k] for k in order}

        else:

            def project(v):
                return {k: v[n] for k, n in pairs}

        if f.kind == OBJ:
            return lambda run, col, value: None if value is None else project(value)
        return lambda run, col, value: [project(v) for v in value]
    if f.kind == OBJ:
        return lambda run, col, value: None if value is None else _run_obj(child, value, run)
    return lambda run, col, value: [_run_obj(child, v, run) for v in value]


def _constant(value: str) -> Getter:
    """The getter of `__typename` (the executors answer it from the plan without calling it)."""
    return lambda _obj, _args, _ctx: value


class OpPlan:
    __slots__ = ("operation", "root", "dynamic_nodes")

    def __init__(self, operation: OperationDefinitionNode, root: ObjPlan, dynamic_nodes: list[FNode]) -> None:
        self.operation = operation
        self.root = root
        self.dynamic_nodes = dynamic_nodes


def _has_variables(node) -> bool:
    if isinstance(node, VariableNode):
        return True
    if isinstance(node, ListValueNode):
        return any(_has_variables(v) for v in node.values)
    if isinstance(node, ObjectValueNode):
        return any(_has_variables(f.value) for f in node.fields)
    return False


class _Compiler:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.dynamic: list[FNode] = []

    def _applies(self, type_condition: str | None, obj_type: GraphQLObjectType) -> bool:
        if type_condition is None:
            return True
        cond = self.schema.get_type(type_condition)
        if cond is None:
            return False
        if cond is obj_type:
            return True
        if isinstance(cond, GraphQLInterfaceType | GraphQLUnionType):  # is_abstract_type, narrowing
            return self.schema.is_sub_type(cond, obj_type)
        return False

    def _collect(self, obj_type, selection_set: SelectionSetNode, grouped: dict, visited: set) -> None:
        for sel in selection_set.selections:
            if sel.directives:
                raise Unsupported("directives")
            if isinstance(sel, FieldNode):
                key = sel.alias.value if sel.alias else sel.name.value
                grouped.setdefault(key, []).append(sel)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if self._applies(cond, obj_type):
                    self._collect(obj_type, sel.selection_set, grouped, visited)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                if name in visited:
                    continue
                visited.add(name)
                frag = self.fragments.get(name)
                if frag is None:
                    raise Unsupported(f"unknown fragment {name}")
                if self._applies(frag.type_condition.name.value, obj_type):
                    self._collect(obj_type, frag.selection_set, grouped, visited)

    def compile(self, obj_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> ObjPlan:
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for ss in selection_sets:
            self._collect(obj_type, ss, grouped, visited)
        fields: list[FNode] = []
        type_getters = GETTERS.get(obj_type.name, {})
        for key, nodes in grouped.items():
            node = nodes[0]
            name = node.name.value
            if name == "__typename":
                f = FNode(key, name, TYPENAME, _constant(obj_type.name))
                f.typename = obj_type.name
                fields.append(f)
                continue
            if name.startswith("__"):
                raise Unsupported("introspection")
            fdef = obj_type.fields.get(name)
            getter = type_getters.get(name)
            if fdef is None or getter is None:
                raise Unsupported(f"{obj_type.name}.{name}")
            named = get_named_type(fdef.type)
            is_list = is_list_type(get_nullable_type(fdef.type))
            if is_leaf_type(named):
                f = FNode(key, name, LEAF, getter)
            else:
                sub_sets = [n.selection_set for n in nodes if n.selection_set is not None]
                if is_abstract_type(named):
                    if not (obj_type.name == "Item" and name == "column_values"):
                        raise Unsupported(f"abstract field {obj_type.name}.{name}")
                    f = FNode(key, name, CVLIST, getter)
                    f.variants = {
                        t.name: self.compile(t, sub_sets) for t in self.schema.get_possible_types(named)
                    }
                else:
                    f = FNode(key, name, LIST if is_list else OBJ, getter)
                    f.child = self.compile(named, sub_sets)
            f.fdef = fdef
            f.ast = node
            if node.arguments or fdef.args:
                if any(_has_variables(a.value) for a in node.arguments):
                    f.dynamic = True
                    self.dynamic.append(f)
                else:
                    f.args = get_argument_values(fdef, node, {})
            fields.append(f)
        return ObjPlan(obj_type.name, fields)


def compile_operation(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> OpPlan:
    if operation.operation != OperationType.QUERY:
        raise Unsupported("only queries")
    if operation.directives:
        raise Unsupported("operation directives")
    compiler = _Compiler(schema, fragments)
    assert schema.query_type is not None  # the sandbox schema defines Query
    root = compiler.compile(schema.query_type, [operation.selection_set])
    return OpPlan(operation, root, compiler.dynamic)


class _Run:
    """One execution: bound dynamic arguments and per-request memo tables."""

    __slots__ = ("ctx", "args", "column_memo")

    def __init__(self, ctx: Ctx, args: dict) -> None:
        self.ctx = ctx
        self.args = args
        self.column_memo: dict = {}


def execute_plan(plan: OpPlan, ctx: Ctx, variables: dict) -> dict:
    """Run a compiled plan; `variables` must already be coerced. Raises MondayError/RequestAbort."""
    args = {id(f): _argument_values(f, variables) for f in plan.dynamic_nodes}
    return _run_obj(plan.root, None, _Run(ctx, args))


def _argument_values(f: FNode, variables: dict[str, Any]) -> dict[str, Any]:
    assert f.fdef is not None and f.ast is not None  # a dynamic node is a field with arguments
    return get_argument_values(f.fdef, f.ast, variables)


def _run_obj(plan: ObjPlan, obj, run: _Run) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ctx = run.ctx
    for f in plan.fields:
        kind = f.kind
        if kind == TYPENAME:
            out[f.key] = f.typename
            continue
        if kind == CVLIST:
            out[f.key] = _run_column_values(f, obj, run)
            continue
        value = f.getter(obj, run.args[id(f)] if f.dynamic else f.args, ctx)
        if kind == LEAF or value is None:
            out[f.key] = value
        else:
            child = f.child
            assert child is not None  # OBJ or LIST
            if kind == OBJ:
                out[f.key] = _run_obj(child, value, run)
            elif child.type_name == "Item":
                render_item = child.item_renderer()
                out[f.key] = [render_item(v, run) for v in value]
            else:
                out[f.key] = [None if v is None else _run_obj(child, v, run) for v in value]
    return out


# Item fields that are plain attribute reads, inlined into generated item renderers.
_ITEM_EXPRESSIONS = {
    "id": "it.sid",
    "name": "it.name",
    "state": "_STATE_NAMES[it.state]",
    "created_at": "_stamps(it.created)[0]",
    "updated_at": "_stamps(it.updated)[0]",
    "parent_item": "None",
}


def _field_runner(f: FNode) -> Callable[[Any, _Run], Any]:
    """`run_field(obj, run)` for one plan field (used by generated item renderers)."""
    if f.kind == CVLIST:
        return lambda obj, run: _run_column_values(f, obj, run)
    getter, kind = f.getter, f.kind
    if kind == LEAF:
        return lambda obj, run: getter(obj, run.args[id(f)] if f.dynamic else f.args, run.ctx)
    child = f.child
    assert child is not None  # OBJ or LIST

    def run_field(obj, run):
        value = getter(obj, run.args[id(f)] if f.dynamic else f.args, run.ctx)
        if value is None:
            return value
        if kind == OBJ:
            return _run_obj(child, value, run)
        return [None if v is None else _run_obj(child, v, run) for v in value]

    return run_field


def _compile_item_renderer(plan: ObjPlan):
    namespace: dict = {"_stamps": stamps, "_STATE_NAMES": STATE_NAMES}
    parts = []
    for i, f in enumerate(plan.fields):
        if f.kind == TYPENAME:
            expr = repr(f.typename)
        elif f.kind == LEAF and f.name in _ITEM_EXPRESSIONS:
            expr = _ITEM_EXPRESSIONS[f.name]
        else:
            namespace[f"_f{i}"] = _field_runner(f)
            expr = f"_f{i}(it, run)"
        parts.append(f"{f.key!r}: {expr}")
    src = f"def render_item(it, run):\n    return {{{', '.join(parts)}}}\n"
    exec(compile(src, "<sandbox item>", "exec"), namespace)  # noqa: S102 - generated from the plan
    return namespace["render_item"]


class _Prepared:
    """The selected columns of one board for one `column_values` field, plus a generated
    function rendering a whole item's list in one call (used when no value is malformed)."""

    __slots__ = ("columns", "render_all")

    def __init__(self, columns: list) -> None:
        self.columns = columns  # [(column, projection renderer, full renderer, plan)]
        namespace: dict = {"_stamps": stamps}
        parts = []
        for i, (col, render, _full, _plan) in enumerate(columns):
            namespace[f"_r{i}"] = render
            namespace[f"_c{i}"] = col
            parts.append(
                f"_r{i}(_c{i}, cells[{col.slot}] if n > {col.slot} else None, iso, changed, ws, run)"
            )
        src = (
            "def render_all(item, ws, run):\n"
            "    cells = item.cells\n"
            "    n = len(cells)\n"
            "    iso, changed = _stamps(item.updated)\n"
            f"    return [{', '.join(parts)}]\n"
        )
        exec(compile(src, "<sandbox column_values>", "exec"), namespace)  # noqa: S102 - generated above
        self.render_all = namespace["render_all"]


def _prepare(f: FNode, board, args: dict) -> _Prepared:
    """Selected columns with their renderers; cached per board column version and arguments."""
    ids = args.get("ids")
    types = args.get("types")
    key = (board.id, board.version, tuple(ids) if ids is not None else None, tuple(types) if types else None)
    prepared = f.prepared.get(key)
    if prepared is None:
        plans = f.variants
        columns = []
        for col in select_columns(board, ids, types):
            plan = plans[graphql_type_for(col.type)]
            columns.append((col, plan.renderer(col.type), full_renderer(col.type), plan))
        if len(f.prepared) > 64:
            f.prepared.clear()
        prepared = f.prepared[key] = _Prepared(columns)
    return prepared


def _run_column_values(f: FNode, item, run: _Run) -> list:
    ctx = run.ctx
    ws = ctx.ws
    prepared = _prepare(f, ws.boards[item.board_id], run.args[id(f)] if f.dynamic else f.args)
    rate = ctx.malformed_rate
    if not rate:
        return prepared.render_all(item, ws, run)
    cells = item.cells
    ncells = len(cells)
    iso, changed = stamps(item.updated)
    out: list[dict[str, Any]] = []
    append = out.append
    for col, render, full, plan in prepared.columns:
        slot = col.slot
        raw = cells[slot] if slot < ncells else None
        if raw is not None and malformed_hash(item.id, col.id) < rate:
            broken = malform(full(col, raw, iso, changed, ws, None), item.id, col.id)
            append(_run_cv_obj(plan, col, broken, run))
        else:
            append(render(col, raw, iso, changed, ws, run))
    return out


def _run_cv_obj(plan: ObjPlan, col, full: dict, run: _Run) -> dict[str, Any]:
    """Project an already rendered full dict (the malformed-value path)."""
    out: dict[str, Any] = {}
    for f in plan.fields:
        kind = f.kind
        if kind == TYPENAME:
            out[f.key] = f.typename
        elif f.name == "column":
            out[f.key] = _column_nested(f)(run, col, None)
        else:
            value = full[f.name]
            out[f.key] = value if kind == LEAF else _object_nested(f)(run, col, value)
    return out
