from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_service.events.tables import Event
from events_service.questions.schemas import QuestionKind, QuestionStage


class Question(Table, tablename="question"):
    """A question an event asks, on registration or in its survey. `label` is {"it", "en",
    "de"?}; `options` the choices of a choice or multi question ([{value, label}])."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade)
    label = JSON(default="{}")
    kind = Varchar(length=20, choices=QuestionKind)
    required = Boolean(default=False)
    stage = Varchar(length=20, choices=QuestionStage)
    options = JSON(default="[]")
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
