"""The web server: the demo page, the widget files, the advisor dashboard and the pupil's result page."""
