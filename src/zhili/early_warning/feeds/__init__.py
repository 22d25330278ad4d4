"""Department feeds: their declared schemas, the checking of their rows, and the import that stores them."""
