"""What members see: embeds, buttons and private replies, rendered from plain results."""
