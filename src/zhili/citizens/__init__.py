"""Citizens without a login (市民): the public report form, and the link that follows a report and rates it."""
