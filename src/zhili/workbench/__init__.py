"""The workbench (工作台): each person's home with their to-do counts, and the menu that fits their roles."""
