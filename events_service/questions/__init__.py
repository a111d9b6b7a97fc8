"""An event's own questions (job title, dietary needs, "what do you want to learn"): asked on
registration or, with `stage: survey`, in the survey after the event; answers checked here
(a 422 names the question), stored by whoever takes them (registrations, surveys)."""
