"""The data scope of a signed-in user (domain.md §10): the whole city, or one county.

Every service, export and command takes a :class:`Scope` and filters by it where data is read; pages never decide
scope by hiding things alone. The scope comes from the account (its role's scope kind in domain.roles and its
county code) through :meth:`Scope.of`; a county-only role without a county sees nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from domain import roles

OUT_OF_SCOPE = "不在您的数据权限范围内"
NOWHERE = ""                      # county code of a county-only account without a county: matches nothing


class OutOfScope(LookupError):
    """Asked for data of a county outside the user's scope; the message is Chinese and names no other county."""

    def __init__(self, what: str = "所请求的数据"):
        super().__init__(f"{what}{OUT_OF_SCOPE}")


@dataclass(frozen=True)
class Scope:
    """``county_code`` None: the whole city; otherwise only that county (NOWHERE: nothing at all)."""
    county_code: str | None = None

    @classmethod
    def city(cls) -> "Scope":
        return cls(None)

    @classmethod
    def county(cls, code: str) -> "Scope":
        return cls(code or NOWHERE)

    @classmethod
    def of(cls, role_name: str | None, county_code: str | None) -> "Scope":
        """The scope of an account: its role's scope kind; an unknown role sees nothing."""
        kind = roles.scope_of(role_name)
        if kind == roles.CITY:
            return cls.city()
        return cls.county(county_code or NOWHERE)

    @property
    def is_city(self) -> bool:
        return self.county_code is None

    @property
    def key(self) -> str:
        """A short text for cache keys and audit details ('city' or 'county:<code>')."""
        return "city" if self.is_city else f"county:{self.county_code}"

    @classmethod
    def from_key(cls, key: str) -> "Scope":
        return cls.city() if key == "city" else cls.county(key.split(":", 1)[1])

    def allows(self, county_code: str | None) -> bool:
        return self.is_city or (county_code is not None and county_code == self.county_code)

    def narrow(self, county_code: str | None) -> str | None:
        """The county filter to apply when a caller asks for ``county_code`` (None = all it may see)."""
        if self.is_city:
            return county_code
        if county_code is not None and county_code != self.county_code:
            raise OutOfScope("该县（市、区）的数据")
        return self.county_code

    def require(self, county_code: str | None, what: str = "所请求的数据") -> None:
        if not self.allows(county_code):
            raise OutOfScope(what)

    def filter(self, df, column: str = "county_code"):
        """Rows of a frame inside the scope (the frame itself for the city)."""
        if self.is_city or df is None:
            return df
        if column not in getattr(df, "columns", ()):
            return df.iloc[0:0]              # a frame that cannot be scoped shows nothing to a county user
        return df[df[column] == self.county_code]


CITY_SCOPE = Scope.city()
