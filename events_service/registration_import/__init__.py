"""Registering a list of people from a CSV or XLSX file (a partner's list, a paper list typed
up): each row goes through the registration service, exactly as a public registration."""
