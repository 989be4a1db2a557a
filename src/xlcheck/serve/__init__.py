"""xlcheck serve: offices check and submit in the browser; the county watches the season."""
