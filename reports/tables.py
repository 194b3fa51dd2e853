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


class LazyRows:
    """A table's rows worked out from a queryset a batch at a time, never all at once.

    A page asks for its 200 rows (`rows[0:200]`: the queryset's slice, then `rows_of`), a
    file iterates over them in batches; `len()` is the queryset's count. So a 30-day report
    of 10,000 cars costs a page only what its rows need.
    """

    def __init__(self, queryset, rows_of, *, batch: int = 2000):
        self.queryset = queryset
        self.rows_of = rows_of  # a list of the queryset's items → a list of row tuples
        self.batch = batch
        self._count = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __bool__(self) -> bool:
        return self.count() > 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.rows_of(list(self.queryset[index]))
        return self.rows_of(list(self.queryset[index:index + 1]))[0]

    def __iter__(self):
        pending = []
        for item in self.queryset.iterator(chunk_size=self.batch):
            pending.append(item)
            if len(pending) >= self.batch:
                yield from self.rows_of(pending)
                pending = []
        if pending:
            yield from self.rows_of(pending)

    def __eq__(self, other):
        return list(self) == list(other)

    __hash__ = None
