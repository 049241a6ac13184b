"""Command Deck: a Discord bot that plays branching story campaigns decided by votes."""
