"""`xlcheck serve`: offices upload their report to a small web service that checks it at once."""
