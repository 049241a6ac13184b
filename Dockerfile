# Command Deck: the bot, its stories and Graphviz, run as a non-root user.
#
# The install steps are the ones .ci/run takes (the same apt package, the same plain
# `pip install .` of the project, smoke-tested there from outside the source tree), so a
# green CI vouches for them. Change one, change the other.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Graphviz draws the story maps (`python -m bot graph --format png`).
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz \
    && rm -rf /var/lib/apt/lists/*

# Installed as a package, not editable, and the source removed: what runs is what pip
# installed, the SQL migrations included (package data).
COPY pyproject.toml README.md /src/
COPY bot /src/bot
RUN pip install /src && rm -rf /src

WORKDIR /app
COPY content /app/content
RUN useradd --system --create-home --uid 10001 deck \
    && mkdir -p /app/data \
    && chown deck:deck /app/data
USER deck

# The settings' relative defaults resolve here: DATABASE=data/command-deck.db is
# /app/data/command-deck.db, on the volume; CONTENT_DIR=content is /app/content.
VOLUME ["/app/data"]

HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

CMD ["python", "-m", "bot"]
