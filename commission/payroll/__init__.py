"""The payroll batch lifecycle: load, run, approve, lock, diff, late data."""
