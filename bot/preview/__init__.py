"""`python -m bot preview`: the real bot inside SimCord, shown in a Discord-like page.

The unmodified bot (`bot.app.create_bot`) runs against SimCord's in-memory Discord; SimCord's
preview page serves the channel on loopback with a "viewing as" switch, a composer for slash
commands and real button callbacks. This package adds what a product needs around that: a
server with a `#bridge` channel and its people, a campaign, SimCord's virtual clock moved on
by the wall clock, an optional crowd that votes by itself, and a clean stop.

The top layer: it may import bot.app, discord and simcord; nothing below imports it. This
module imports none of them, so `runtime` can say what is missing before anything needs it.
"""
