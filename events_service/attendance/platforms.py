"""The webinar platforms whose reports (and APIs) attendance is read from."""

from typing import Literal

Platform = Literal["zoom", "teams", "webex"]
