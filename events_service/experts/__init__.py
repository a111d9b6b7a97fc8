"""Innovation Experts at Tech Days: experts, their slots, and one-to-one meetings booked by
confirmed registrants (API.md "Innovation Experts at Tech Days")."""
