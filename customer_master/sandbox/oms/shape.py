"""What the two API shapes (shopify.py, woocommerce.py) share: the refused-parameter error, the
money format, the product prices and the engine hook-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from customer_master.sandbox.oms.data import PRODUCTS

if TYPE_CHECKING:
    from customer_master.sandbox.oms.engine import OmsEngine

PRICE_CENTS = [int(p[2].replace(".", "")) for p in PRODUCTS]


class ParamError(Exception):
    """A request parameter the shape refuses with a 400; `param` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class ShapeApi:
    """Base of a shape: bound to its engine, which calls `reset` whenever it regenerates."""

    def __init__(self, engine: OmsEngine) -> None:
        self.engine = engine
        self.reset()

    def reset(self) -> None:
        pass
