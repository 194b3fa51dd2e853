"""What a report's build() returns: columns with translated labels and rows of plain values.

Values are None, bool, int, float, str, date or aware datetime (UTC; shown in the reader's
zone). A column of kind USER holds flinkey user ids: the page shows the person's name
through the people directory, the files a column with the name and one with the id.
"""

from dataclasses import dataclass, field

TEXT = "text"
NUMBER = "number"  # an int
KM = "km"  # a float, shown to one decimal
COORDINATE = "coordinate"  # a float, degrees
MOMENT = "moment"  # an aware datetime
DAY = "day"  # a date
FLAG = "flag"  # a bool: yes / no
USER = "user"  # a flinkey user id
CAR = "car"  # a flinkey car id: the page links to the car


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # translated (lazily: in the language of whoever shows it)
    kind: str = TEXT


@dataclass
class Table:
    """A report's result. `people` (a people.directory.Directory) names USER columns."""

    title: str
    columns: list[Column]
    rows: list[tuple]
    people: object = None
    notes: list[str] = field(default_factory=list)

    def index(self, key: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.key == key)

    def values(self, key: str) -> list:
        """Every row's value in column `key` (for tests and summaries)."""
        position = self.index(key)
        return [row[position] for row in self.rows]

    def dicts(self) -> list[dict]:
        keys = [column.key for column in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]
