"""The collections desk: the ladder, worklists, the contact log, messages, credit signal."""
