"""Screens of the app: the policy browser (home), modals for errors, keys and the command line."""
