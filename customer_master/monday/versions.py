"""Monday API versions: the pinned version's format, and what it means when Monday serves another.

Monday releases a version every quarter (YYYY-01, -04, -07, -10). A request pinned to a deprecated
version is answered by the Maintenance version, and one pinned to a nonexistent version by the
Current version; the only sign is the `API-Version` response header, which the client reads.
"""

from __future__ import annotations

import re

API_VERSION_FORMAT = re.compile(r"^\d{4}-(01|04|07|10)$")


def check_api_version(value: object, *, source: str = "api_version") -> str:
    """`value` if it is a well-formed quarterly version, else a ValueError naming `source`
    (the setting or argument to fix)."""
    if isinstance(value, str) and API_VERSION_FORMAT.match(value.strip()):
        return value.strip()
    raise ValueError(
        f"{source}={value!r} is not a Monday API version: use YYYY-MM with a quarterly month "
        "(01, 04, 07 or 10), e.g. 2026-07"
    )


def served_version_warning(pinned: str | None, served: str | None) -> str | None:
    """The warning for a response served under another version than the pinned one, else None."""
    if not pinned or not served or served == pinned:
        return None
    return (
        f"pinned {pinned} but Monday served {served}: the pinned version is deprecated or unknown "
        "(Monday answers a deprecated version with its Maintenance version and an unknown one with "
        "its Current version, and field behaviour can differ); pin a live version in MONDAY_API_VERSION"
    )
