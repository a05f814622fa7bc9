"""Development tools (not part of the installed package); see each module's docstring."""
