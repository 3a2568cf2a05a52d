"""Rasa plug-ins: the NLU components, the REST channel and the tracker store. They may import the core."""
