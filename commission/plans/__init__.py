"""The plan language and what each of its terms means."""
