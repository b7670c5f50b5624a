"""Reports for people: the class report, per-student feedback, Gradescope results."""
