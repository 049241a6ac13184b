"""The Discord adapter's features, one package each: slash commands and what they post."""
