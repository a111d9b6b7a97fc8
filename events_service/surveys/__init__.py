"""The survey after an event, only for those who came: a rating and the event's questions with
`stage: survey`, opened by the signed link in the thank-you email, answered once per
registration; results per event and per company."""
