"""The web server: the demo page, the widget files, the advisor dashboard."""
