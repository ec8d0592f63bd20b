"""The change store as a Dagster resource: where webhook events and polled changes wait (SQLite)."""

import dagster as dg

from customer_master.realtime.polling import PollState
from customer_master.realtime.registration import Registrations
from customer_master.realtime.store import ChangeStore
from customer_master.settings import get_settings


class ChangeStoreResource(dg.ConfigurableResource):
    """The durable change store (customer_master/realtime/store.py): the receiver writes it, the
    sensors and the order-update runs read and settle it. Never the warehouse: it has its own file."""

    path: str

    def open(self) -> ChangeStore:
        return ChangeStore(self.path)

    def poll_state(self) -> PollState:
        return PollState(self.path)

    def registrations(self) -> Registrations:
        return Registrations(self.path)


def change_store_resource() -> ChangeStoreResource:
    return ChangeStoreResource(path=str(get_settings().change_store))
