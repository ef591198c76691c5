"""Documents' staff side (the back office): document types and the review of what
families sent (accept, refuse with a reason). The family side of the app (views,
upload form, services, rules, models) never imports this package."""
