"""The city view: widgets that read a roll-up database (README: City view)."""
