"""Keuzespiegel: a Dutch chatbot that mirrors a pupil's way of choosing against three engineering alumni."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
