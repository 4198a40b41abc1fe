"""Deadlines (SLA) from a category: in hours, or in working days.

Hours run round the clock: categories that need them (a fallen tree across a
road) cannot wait for Monday. Working days follow the state agencies'
calendar in Vietnam local time: Monday to Friday, without public holidays and
the days swapped around them, plus the Saturdays worked to make up for those
swaps. Counting starts the day after filing (Bộ luật Dân sự 2015, Điều 147:
a period in days begins on the day after the event), and a working day ends
at 17:00, so N working days fall due at 17:00 on the N-th working day after
the filing day.
"""
import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

VIETNAM = timezone(timedelta(hours=7), "ICT")
END_OF_WORKING_DAY = time(17, 0)
SHIPPED_FILE = Path(__file__).parent / "data" / "holidays.json"


class WorkingCalendar:
    """Which days the agencies work."""

    def __init__(self, days_off=(), working_days=()):
        self.days_off = frozenset(days_off)
        self.working_days = frozenset(working_days)   # make-up Saturdays

    @classmethod
    def load(cls, path=SHIPPED_FILE) -> "WorkingCalendar":
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
        return cls(days_off=map(date.fromisoformat, document["days_off"]),
                   working_days=map(date.fromisoformat, document["working_days"]))

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def add_working_days(self, start: date, count: int) -> date:
        """The count-th working day after start."""
        day = start
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day


def deadline(filed_at: float, hours: int, working_days: int, calendar: WorkingCalendar) -> float:
    """When a report filed at filed_at (epoch seconds) falls due."""
    if hours:
        return filed_at + hours * 3600
    filed_on = datetime.fromtimestamp(filed_at, VIETNAM).date()
    due_on = calendar.add_working_days(filed_on, working_days)
    return datetime.combine(due_on, END_OF_WORKING_DAY, VIETNAM).timestamp()
