from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.events.tables import Event
from events_service.registrations.tables import Registration


class SurveyResponse(Table, tablename="survey_response"):
    """One registration's answer to an event's survey. `registration` is unique (a column
    constraint): a second answer, even at the same moment, is refused. The event and company are
    copied so results need no join, and stay when a registration is erased."""

    registration = ForeignKey(references=Registration, on_delete=OnDelete.set_null, null=True, unique=True)
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade)
    company = Integer(null=True, default=None)
    rating = Integer()
    answers = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
