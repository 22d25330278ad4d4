"""The live board (作战图): counts, the people lists and their exports, the event stream, its API and pages."""
