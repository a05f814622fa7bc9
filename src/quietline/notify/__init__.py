"""Notifications to devices. They never carry content: no sender, no title, no text."""
